/*
 * Hako's DSDT for the i440FX/PIIX board: the PCI root bridge with its address windows and interrupt
 * routing through the PIIX3 PIRQ link devices, the ISA devices (RTC, PS/2 keyboard and mouse, COM1)
 * and the soft-off state. Compiled with iasl at build time.
 *
 * The PCI memory windows depend on the VM's RAM size: the engine patches the placeholder ranges
 * (32-bit window 0x5A000000-0x5AFFFFFF, 64-bit window 0x5B00000000-0x5BFFFFFFFF) before serving the
 * table, so keep those numbers unique in this file. Likewise the vCPU count NCPU (0x5CC0C0C5).
 *
 * Processors: QEMU's pc machine (7.2, acpi-build.c with hw/acpi/cpu.c) gives a Linux guest a
 * processor container \_SB.CPUS (ACPI0010, _CID PNP0A05) holding one object per vCPU, Cnnn for the
 * vCPU whose MADT processor UID is n. Hako has the same container and names for its 16 possible
 * vCPUs, present (_STA 0x0F) below NCPU. Differences kept: QEMU's pc writes ACPI 1.0 Processor()
 * objects (processor ID n, no P_BLK); Hako writes processor devices (ACPI0007, _UID n), what ACPI
 * 6 asks for (iasl warns on Processor()) and what QEMU's q35 machine gives; and what QEMU has there
 * for CPU hotplug (_MAT, _OST, _EJ0, the hotplug registers and their GPE) Hako leaves out: it has
 * no CPU hotplug.
 */
DefinitionBlock ("dsdt.aml", "DSDT", 1, "HAKO  ", "HAKOPC  ", 1)
{
    Scope (\_SB)
    {
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A03"))
            Name (_UID, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000, 0x0000, 0x00FF, 0x0000, 0x0100)
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
                    0x00000000, 0x000A0000, 0x000BFFFF, 0x00000000, 0x00020000)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000, 0x5A000000, 0x5AFFFFFF, 0x00000000, 0x01000000)
                QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
                    0x0000000000000000, 0x0000005B00000000, 0x0000005BFFFFFFFF, 0x0000000000000000,
                    0x0000000100000000)
            })

            /* INTx of slot S pin P (0 = INTA) goes to PIRQ[(P + S - 1) & 3] */
            Method (_PRT, 0, NotSerialized)
            {
                Local0 = Package (0x80) {}
                Local1 = Zero
                While (Local1 < 0x80)
                {
                    Local2 = (Local1 >> 2)
                    Local3 = (Local1 & 0x03)
                    Local4 = ((Local3 + Local2 + 3) & 0x03)
                    If (Local4 == Zero)
                    {
                        Local5 = Package (0x04) { Zero, Zero, LNKA, Zero }
                    }
                    If (Local4 == One)
                    {
                        Local5 = Package (0x04) { Zero, Zero, LNKB, Zero }
                    }
                    If (Local4 == 0x02)
                    {
                        Local5 = Package (0x04) { Zero, Zero, LNKC, Zero }
                    }
                    If (Local4 == 0x03)
                    {
                        Local5 = Package (0x04) { Zero, Zero, LNKD, Zero }
                    }
                    Local5 [Zero] = ((Local2 << 16) | 0xFFFF)
                    Local5 [One] = Local3
                    Local0 [Local1] = Local5
                    Local1++
                }
                Return (Local0)
            }

            Device (ISA)
            {
                Name (_ADR, 0x00010000)
                OperationRegion (PIRQ, PCI_Config, 0x60, 0x04)

                Device (RTC)
                {
                    Name (_HID, EisaId ("PNP0B00"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
                        IRQNoFlags () {8}
                    })
                }

                Device (KBD)
                {
                    Name (_HID, EisaId ("PNP0303"))
                    Method (_STA, 0, NotSerialized)
                    {
                        Return (0x0F)
                    }
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0060, 0x0060, 0x01, 0x01)
                        IO (Decode16, 0x0064, 0x0064, 0x01, 0x01)
                        IRQNoFlags () {1}
                    })
                }

                Device (MOU)
                {
                    Name (_HID, EisaId ("PNP0F13"))
                    Method (_STA, 0, NotSerialized)
                    {
                        Return (0x0F)
                    }
                    Name (_CRS, ResourceTemplate ()
                    {
                        IRQNoFlags () {12}
                    })
                }

                Device (COM1)
                {
                    Name (_HID, EisaId ("PNP0501"))
                    Name (_UID, One)
                    Method (_STA, 0, NotSerialized)
                    {
                        Return (0x0F)
                    }
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08)
                        IRQNoFlags () {4}
                    })
                }
            }
        }

        Field (PCI0.ISA.PIRQ, ByteAcc, NoLock, Preserve)
        {
            PRQA, 8,
            PRQB, 8,
            PRQC, 8,
            PRQD, 8
        }

        Method (IQST, 1, NotSerialized)
        {
            /* link enabled (0x0B) unless the PIRQ register's disable bit is set (0x09) */
            If ((0x80 & Arg0))
            {
                Return (0x09)
            }
            Return (0x0B)
        }

        Method (IQCR, 1, Serialized)
        {
            Name (PRR0, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, , , _Y00) { 0 }
            })
            CreateDWordField (PRR0, \_SB.IQCR._Y00._INT, PRRI)
            If ((Arg0 < 0x80))
            {
                PRRI = Arg0
            }
            Return (PRR0)
        }

        Device (LNKA)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, Zero)
            Name (_PRS, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, , , ) { 5, 10, 11 }
            })
            Method (_STA, 0, NotSerialized) { Return (IQST (PRQA)) }
            Method (_DIS, 0, NotSerialized) { PRQA |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (PRQA)) }
            Method (_SRS, 1, NotSerialized)
            {
                CreateDWordField (Arg0, 0x05, PRRI)
                PRQA = PRRI
            }
        }

        Device (LNKB)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, One)
            Name (_PRS, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, , , ) { 5, 10, 11 }
            })
            Method (_STA, 0, NotSerialized) { Return (IQST (PRQB)) }
            Method (_DIS, 0, NotSerialized) { PRQB |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (PRQB)) }
            Method (_SRS, 1, NotSerialized)
            {
                CreateDWordField (Arg0, 0x05, PRRI)
                PRQB = PRRI
            }
        }

        Device (LNKC)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 0x02)
            Name (_PRS, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, , , ) { 5, 10, 11 }
            })
            Method (_STA, 0, NotSerialized) { Return (IQST (PRQC)) }
            Method (_DIS, 0, NotSerialized) { PRQC |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (PRQC)) }
            Method (_SRS, 1, NotSerialized)
            {
                CreateDWordField (Arg0, 0x05, PRRI)
                PRQC = PRRI
            }
        }

        Device (LNKD)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 0x03)
            Name (_PRS, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, , , ) { 5, 10, 11 }
            })
            Method (_STA, 0, NotSerialized) { Return (IQST (PRQD)) }
            Method (_DIS, 0, NotSerialized) { PRQD |= 0x80 }
            Method (_CRS, 0, NotSerialized) { Return (IQCR (PRQD)) }
            Method (_SRS, 1, NotSerialized)
            {
                CreateDWordField (Arg0, 0x05, PRRI)
                PRQD = PRRI
            }
        }
    }

    Scope (\_SB)
    {
        Name (NCPU, 0x5CC0C0C5)

        Device (CPUS)
        {
            Name (_HID, "ACPI0010")
            Name (_CID, EisaId ("PNP0A05"))

            /* present and enabled below the vCPU count */
            Method (CSTA, 1, NotSerialized)
            {
                If ((Arg0 < NCPU))
                {
                    Return (0x0F)
                }
                Return (Zero)
            }

            Device (C000)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x00)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x00)) }
            }
            Device (C001)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x01)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x01)) }
            }
            Device (C002)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x02)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x02)) }
            }
            Device (C003)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x03)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x03)) }
            }
            Device (C004)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x04)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x04)) }
            }
            Device (C005)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x05)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x05)) }
            }
            Device (C006)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x06)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x06)) }
            }
            Device (C007)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x07)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x07)) }
            }
            Device (C008)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x08)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x08)) }
            }
            Device (C009)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x09)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x09)) }
            }
            Device (C00A)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x0A)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x0A)) }
            }
            Device (C00B)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x0B)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x0B)) }
            }
            Device (C00C)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x0C)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x0C)) }
            }
            Device (C00D)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x0D)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x0D)) }
            }
            Device (C00E)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x0E)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x0E)) }
            }
            Device (C00F)
            {
                Name (_HID, "ACPI0007")
                Name (_UID, 0x0F)
                Method (_STA, 0, NotSerialized) { Return (CSTA (0x0F)) }
            }
        }
    }

    /* soft off: SLP_TYP 0 with SLP_EN in PM1 control */
    Name (\_S5, Package (0x04) { Zero, Zero, Zero, Zero })
}
