#include "hako/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

int hk_image_lock(int fd, bool exclusive)
{
    struct flock lk;
    memset(&lk, 0, sizeof(lk));
    lk.l_type = exclusive ? F_WRLCK : F_RDLCK;
    lk.l_whence = SEEK_SET; /* l_start 0, l_len 0: the whole file, however large it grows */
    if (fcntl(fd, F_OFD_SETLK, &lk) == 0)
        return 0;
    int e = errno;
    return e == EACCES ? -EAGAIN : -e;
}
