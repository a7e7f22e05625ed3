"""Generate DICOM Part-10 test objects, standard library only.

Each object is a small image of one SOP class in Implicit or Explicit VR
Little Endian, with a File Meta Information group (PS3.10 7.1) and pixel
data of the requested size filled from a seeded generator, so a run can
be repeated.  The data set is what a Storage SCP must keep bit for bit;
data_set() reads it back out of any Part-10 file.
"""

import random
import struct

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"

CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
SC = "1.2.840.10008.5.1.4.1.1.7"
US = "1.2.840.10008.5.1.4.1.1.6.1"
MODALITY = {CT: "CT", MR: "MR", SC: "OT", US: "US"}

IMPL_UID = "2.25.37702220845173676206920092856050917640.9"

# Elements whose explicit VR encoding has a 4-byte length (PS3.5 7.1.2).
LONG_VRS = {"OB", "OW", "OF", "SQ", "UT", "UN"}


def _pad(vr, value):
    if isinstance(value, str):
        value = value.encode("ascii")
    if len(value) % 2:
        value += b"\0" if vr in ("UI", "OB") else b" "
    return value


def element(group, elem, vr, value, explicit):
    """One data element, little endian."""
    value = _pad(vr, value)
    if not explicit:
        return struct.pack("<HHI", group, elem, len(value)) + value
    if vr in LONG_VRS:
        return (struct.pack("<HH2sHI", group, elem, vr.encode(), 0,
                            len(value)) + value)
    return struct.pack("<HH2sH", group, elem, vr.encode(),
                       len(value)) + value


def us(v):
    return struct.pack("<H", v)


def new_uid(rng):
    """A UID under 2.25 from the seeded generator."""
    return "2.25.%d" % rng.getrandbits(120)


def data_set(sop_class, sop_instance, ts, pixel_len, rng, number=1):
    """The data set of an image with pixel_len bytes of pixel data."""
    explicit = ts == EXPLICIT_LE
    rows, cols = 1, max(pixel_len // 2, 1)
    if cols > 4096:
        cols = 1024
        rows = (pixel_len + 2047) // 2048
    pixel_len = rows * cols * 2
    study = new_uid(rng)
    series = new_uid(rng)
    els = [
        (0x0008, 0x0016, "UI", sop_class),
        (0x0008, 0x0018, "UI", sop_instance),
        (0x0008, 0x0020, "DA", "20260101"),
        (0x0008, 0x0060, "CS", MODALITY.get(sop_class, "OT")),
        (0x0010, 0x0010, "PN", "Test^Object^%d" % number),
        (0x0010, 0x0020, "LO", "ID%06d" % number),
        (0x0020, 0x000D, "UI", study),
        (0x0020, 0x000E, "UI", series),
        (0x0020, 0x0013, "IS", str(number)),
        (0x0028, 0x0002, "US", us(1)),
        (0x0028, 0x0004, "CS", "MONOCHROME2"),
        (0x0028, 0x0010, "US", us(rows)),
        (0x0028, 0x0011, "US", us(cols)),
        (0x0028, 0x0100, "US", us(16)),
        (0x0028, 0x0101, "US", us(16)),
        (0x0028, 0x0102, "US", us(15)),
        (0x0028, 0x0103, "US", us(0)),
    ]
    out = [element(g, e, vr, v, explicit) for g, e, vr, v in els]
    out.append(element(0x7FE0, 0x0010, "OW", rng.randbytes(pixel_len),
                       explicit))
    return b"".join(out)


def meta(sop_class, sop_instance, ts):
    """The File Meta Information group, explicit VR little endian."""
    body = b"".join([
        element(0x0002, 0x0001, "OB", b"\x00\x01", True),
        element(0x0002, 0x0002, "UI", sop_class, True),
        element(0x0002, 0x0003, "UI", sop_instance, True),
        element(0x0002, 0x0010, "UI", ts, True),
        element(0x0002, 0x0012, "UI", IMPL_UID, True),
        element(0x0002, 0x0013, "SH", "DULTEST", True),
    ])
    return element(0x0002, 0x0000, "UL", struct.pack("<I", len(body)),
                   True) + body


def write_object(path, sop_class, ts, pixel_len, seed, number=1):
    """Write one Part-10 file; return (SOP instance UID, data set)."""
    rng = random.Random(seed)
    inst = new_uid(rng)
    ds = data_set(sop_class, inst, ts, pixel_len, rng, number)
    with open(path, "wb") as f:
        f.write(b"\0" * 128 + b"DICM")
        f.write(meta(sop_class, inst, ts))
        f.write(ds)
    return inst, ds


def split_part10(blob):
    """({(group, element): value} of the meta group, data set bytes) of a
    Part-10 file's contents.  UI values lose their padding."""
    if len(blob) < 144 or blob[128:132] != b"DICM":
        raise ValueError("no DICM prefix")
    group, elem, vr, length = struct.unpack_from("<HH2sH", blob, 132)
    if (group, elem, vr) != (0x0002, 0x0000, b"UL") or length != 4:
        raise ValueError("no File Meta Information Group Length")
    end = 144 + struct.unpack_from("<I", blob, 140)[0]
    out = {}
    off = 144
    while off < end:
        g, e, v = struct.unpack_from("<HH2s", blob, off)
        v = v.decode("ascii", "replace")
        if v in LONG_VRS:
            n = struct.unpack_from("<I", blob, off + 8)[0]
            val = blob[off + 12:off + 12 + n]
            off += 12 + n
        else:
            n = struct.unpack_from("<H", blob, off + 6)[0]
            val = blob[off + 8:off + 8 + n]
            off += 8 + n
        if g != 0x0002:
            raise ValueError("element (%04x,%04x) in the meta group" %
                             (g, e))
        if v == "UI":
            val = val.rstrip(b"\0 ").decode("ascii")
        out[(g, e)] = val
    if off != end:
        raise ValueError("meta group length does not match its elements")
    return out, blob[end:]
