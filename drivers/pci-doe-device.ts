/**
 * The DOE mailbox a PCI function presents (PCIe r6.0 7.9.24, the ECN the seed cites), as the
 * conformance adapter of drivers/pci-doe.ts drives it: the Control, Status and mailbox
 * registers, and what the device does between the driver's accesses (answer, err, hang, abort,
 * another user holding it BUSY, an FLR). It knows nothing of the driver; the driver reaches it
 * through pci_read_config_dword() / pci_write_config_dword() only.
 */

/* DOE capability registers (offsets from the capability) and their bits. */
export const PCI_DOE_CTRL = 0x08;
export const PCI_DOE_CTRL_ABORT = 1 << 0;
export const PCI_DOE_CTRL_INT_EN = 1 << 1;
export const PCI_DOE_CTRL_GO = 1 << 31;
export const PCI_DOE_STATUS = 0x0c;
export const PCI_DOE_STATUS_BUSY = 1 << 0;
export const PCI_DOE_STATUS_INT_STATUS = 1 << 1;
export const PCI_DOE_STATUS_ERROR = 1 << 2;
export const PCI_DOE_STATUS_DATA_OBJECT_READY = 1 << 31;
export const PCI_DOE_WRITE = 0x10;
export const PCI_DOE_READ = 0x14;
/* Data object header fields (not registers). */
export const PCI_DOE_DATA_OBJECT_HEADER_1_VID = 0x0000ffff;
export const PCI_DOE_DATA_OBJECT_HEADER_1_TYPE = 0x00ff0000;
export const PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH = 0x0003ffff;

/** What the device answers with: a Length kind (zero encodes 2^18 DW, max is 0x3FFFF DW). */
export type ResponseLength = 'exact' | 'short' | 'long' | 'zero' | 'max';

export type DevPhase =
  | 'DEV_IDLE'
  | 'OTHER_USER'
  | 'PROCESSING'
  | 'HUNG'
  | 'RESPONSE'
  | 'ERROR_SET'
  | 'ABORTING'
  | 'ABORT_HUNG';

/** The payload dword every response carries (a discovery response: vid, protocol, next). */
export const RESPONSE_PAYLOAD = 0x00000001;

/** The object in the read mailbox: header, Length field, payload, then excess up to `total`. */
interface ReadObject {
  header: number;
  lengthField: number;
  total: number;
  /** Dwords the driver has advanced past. */
  pos: number;
}

export class DoeDevice {
  phase: DevPhase = 'DEV_IDLE';
  busy = false;
  error = false;
  dataObjectReady = false;
  intStatus = false;
  intEnable = false;
  /** Whether BUSY clearing sets INT_STATUS (the ECN) or not (later spec revisions). */
  busyClearIrq = true;
  private writeMailbox: number[] = [];
  private requestHeader = 0;
  private read: ReadObject | null = null;

  /**
   * @param msi called when "Interrupt Enable AND Interrupt Status" rises (sec 6.xx.3, as the
   * review quotes it): the platform decides whether an MSI reaches a handler.
   */
  constructor(private readonly msi: () => void) {}

  /* ---- the registers, as the driver accesses them ---- */

  readConfig(where: number): number {
    switch (where) {
      case PCI_DOE_STATUS:
        return (
          (this.busy ? PCI_DOE_STATUS_BUSY : 0) |
          (this.intStatus ? PCI_DOE_STATUS_INT_STATUS : 0) |
          (this.error ? PCI_DOE_STATUS_ERROR : 0) |
          (this.dataObjectReady ? PCI_DOE_STATUS_DATA_OBJECT_READY : 0)
        );
      case PCI_DOE_READ:
        /* With no data object ready the read mailbox reads 0 (as QEMU's pcie_doe.c does). */
        return this.read && this.dataObjectReady ? this.dwordAt(this.read) : 0;
      default:
        return 0;
    }
  }

  writeConfig(where: number, val: number): void {
    switch (where) {
      case PCI_DOE_STATUS: // RW1C INT_STATUS; the rest is read-only
        if (val & PCI_DOE_STATUS_INT_STATUS) this.intStatus = false;
        return;
      case PCI_DOE_CTRL: {
        const was = this.intEnable && this.intStatus;
        this.intEnable = (val & PCI_DOE_CTRL_INT_EN) !== 0;
        if (!was && this.intEnable && this.intStatus) this.msi();
        if (val & PCI_DOE_CTRL_ABORT) {
          if (this.phase !== 'ABORTING' && this.phase !== 'ABORT_HUNG') {
            this.phase = 'ABORTING';
            this.busy = true; // from the ABORT write until the abort completes
          }
          this.writeMailbox = [];
        } else if (val & PCI_DOE_CTRL_GO) {
          if (this.phase === 'DEV_IDLE') {
            this.phase = 'PROCESSING';
            this.requestHeader = this.writeMailbox[0] ?? 0;
          } // GO out of turn (busy, processing, in error) is ignored
          this.writeMailbox = [];
        }
        return;
      }
      case PCI_DOE_WRITE:
        this.writeMailbox.push(val);
        return;
      case PCI_DOE_READ: // any write advances the read mailbox
        if (this.phase === 'RESPONSE' && this.read) {
          this.read.pos++;
          if (this.read.pos >= this.read.total) {
            this.read = null;
            this.dataObjectReady = false;
            this.phase = 'DEV_IDLE';
          }
        }
        return;
    }
  }

  /** The driver has advanced past the object's last dword (a good response consumed). */
  consumed(): boolean {
    return this.read === null;
  }

  /* ---- what the device does on its own ---- */

  respond(length: ResponseLength, badHeader: boolean): void {
    this.need('PROCESSING');
    const header = badHeader ? this.requestHeader ^ (1 << 16) : this.requestHeader;
    const total =
      length === 'exact'
        ? 3
        : length === 'short'
          ? 2
          : length === 'long'
            ? 4
            : length === 'zero'
              ? 1 << 18
              : 0x3ffff;
    const lengthField = length === 'zero' ? 0 : total;
    this.read = { header, lengthField, total, pos: 0 };
    this.phase = 'RESPONSE';
    this.dataObjectReady = true;
    this.setIntStatus();
  }

  raiseError(): void {
    if (this.phase === 'PROCESSING') this.phase = 'ERROR_SET';
    else this.need('RESPONSE');
    this.error = true;
    this.setIntStatus();
  }

  hang(): void {
    this.need('PROCESSING');
    this.phase = 'HUNG';
  }

  abortDone(): void {
    this.need('ABORTING');
    /* An abort clears ERROR and Data Object Ready, then BUSY. */
    this.error = false;
    this.dataObjectReady = false;
    this.read = null;
    this.phase = 'DEV_IDLE';
    this.busyClears();
  }

  abortHang(): void {
    this.need('ABORTING');
    this.phase = 'ABORT_HUNG';
  }

  otherUserBusy(): void {
    this.need('DEV_IDLE');
    this.phase = 'OTHER_USER';
    this.busy = true;
  }

  otherUserDone(leaveError: boolean): void {
    this.need('OTHER_USER');
    this.phase = leaveError ? 'ERROR_SET' : 'DEV_IDLE';
    this.busyClears();
    if (leaveError) {
      this.error = true;
      this.setIntStatus();
    }
  }

  /** An FLR: every register back to its default, Interrupt Enable included. */
  reset(): void {
    this.phase = 'DEV_IDLE';
    this.busy = false;
    this.error = false;
    this.dataObjectReady = false;
    this.intStatus = false;
    this.intEnable = false;
    this.read = null;
    this.writeMailbox = [];
  }

  /** The request the device took at its last GO (its header dword). */
  get lastRequestHeader(): number {
    return this.requestHeader;
  }

  private dwordAt(object: ReadObject): number {
    if (object.pos === 0) return object.header;
    if (object.pos === 1) return object.lengthField;
    return object.pos === 2 ? RESPONSE_PAYLOAD : 0;
  }

  private busyClears(): void {
    this.busy = false;
    if (this.busyClearIrq) this.setIntStatus();
  }

  /** INT_STATUS is set by Data Object Ready, ERROR and (per device) BUSY clearing. */
  private setIntStatus(): void {
    const rises = this.intEnable && !this.intStatus;
    this.intStatus = true;
    if (rises) this.msi();
  }

  private need(...phases: DevPhase[]): void {
    if (!phases.includes(this.phase)) throw new DeviceStateError(`the device is ${this.phase}`);
  }
}

/** The device cannot do this now (the adapter turns it into a NotEnabledError). */
export class DeviceStateError extends Error {
  override name = 'DeviceStateError';
}
