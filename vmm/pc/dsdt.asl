/*
 * Hako's DSDT for the i440FX/PIIX board: the PCI root bridge with its address windows and interrupt
 * routing through the PIIX3 PIRQ link devices, the ISA devices (RTC, PS/2 keyboard and mouse, COM1)
 * and the soft-off state. Compiled with iasl at build time.
 *
 * The PCI memory windows depend on the VM's RAM size: the engine patches the placeholder ranges
 * (32-bit window 0x5A000000-0x5AFFFFFF, 64-bit window 0x5B00000000-0x5BFFFFFFFF) before serving the
 * table, so keep those numbers unique in this file.
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

    /* soft off: SLP_TYP 0 with SLP_EN in PM1 control */
    Name (\_S5, Package (0x04) { Zero, Zero, Zero, Zero })
}
