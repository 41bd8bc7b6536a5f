/* Interrupt source numbers per line (see hk_vm_set_irq): one per device that can drive a line. */
#ifndef HK_CORE_IRQSRC_H
#define HK_CORE_IRQSRC_H

enum {
    HK_IRQSRC_DEVICE = 0, /* an ISA device that owns its line (RTC, COM1, i8042, ...) */
    HK_IRQSRC_PIRQ0 = 1,  /* PCI interrupts routed through PIRQA..D: 1..4 */
    HK_IRQSRC_SCI = 5,    /* ACPI SCI */
    HK_IRQSRC_TEST = 63,
};

#endif
