#!/usr/bin/env python3
"""Writes the .npz fixtures of tests/io/npz_test.cpp with Python's zipfile (an
implementation independent of ours), from the MLX-written .npy fixtures.

  scripts/gen_npz_fixtures.py tests/fixtures/io

stored.npz    a.npy, b.npy stored, local headers with ZIP64 extras (numpy's savez:
              zipfile.open(name, "w", force_zip64=True))
deflated.npz  the same deflated (numpy's savez_compressed)
zip64.npz     a.npy stored, its central directory entry and the end of the archive
              written by hand in ZIP64 form (sizes and offset 0xffffffff, ZIP64 extra,
              ZIP64 end record and locator), as an archive over 4 GiB has them
"""
import struct
import sys
import time
import zipfile
import zlib
from pathlib import Path


def savez(path, members, method):
    with zipfile.ZipFile(path, "w", compression=method) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            with z.open(info, "w", force_zip64=True) as f:
                f.write(data)


def zip64_by_hand(path, name, data):
    crc = zlib.crc32(data)
    n = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc,
                        0xFFFFFFFF, 0xFFFFFFFF, len(n), 20)
    local += n + struct.pack("<HHQQ", 1, 16, len(data), len(data))
    body = local + data
    extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x032D, 45, 0, 0, 0, 0x21,
                          crc, 0xFFFFFFFF, 0xFFFFFFFF, len(n), len(extra), 0, 0, 0,
                          0o100644 << 16, 0xFFFFFFFF) + n + extra
    cd_at = len(body)
    rec_at = cd_at + len(central)
    end64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x032D, 45, 0, 0, 1, 1,
                        len(central), cd_at)
    locator = struct.pack("<IIQI", 0x07064B50, 0, rec_at, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                      0xFFFFFFFF, 0)
    Path(path).write_bytes(body + central + end64 + locator + end)


def main():
    folder = Path(sys.argv[1])
    a = (folder / "a.npy").read_bytes()
    b = (folder / "b.npy").read_bytes()
    out = folder / "npz"
    out.mkdir(exist_ok=True)
    savez(out / "stored.npz", [("a.npy", a), ("b.npy", b)], zipfile.ZIP_STORED)
    savez(out / "deflated.npz", [("a.npy", a), ("b.npy", b)], zipfile.ZIP_DEFLATED)
    zip64_by_hand(out / "zip64.npz", "a.npy", a)
    for f in ("stored.npz", "deflated.npz", "zip64.npz"):
        with zipfile.ZipFile(out / f) as z:
            assert z.testzip() is None, f
            assert z.read("a.npy") == a, f


if __name__ == "__main__":
    main()
