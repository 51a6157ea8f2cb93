#!/usr/bin/env python3
"""Is a screenshot a page someone can see? A PNG of the expected size whose pixels are not all
the background (standard library only: the PNG's rows are unfiltered here, PNG spec 9.2).

  screenshot_testlib.py FILE WIDTH HEIGHT    exit 0 and a line of figures, else 1 and why
"""

import struct
import sys
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def read_png(path):
    """(width, height, [rows of bytes]) of an 8-bit RGB or RGBA PNG, not interlaced."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG file")
    at, idat, header = 8, b"", None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"unexpected PNG kind: depth {depth}, colour type {colour}")
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, previous = zlib.decompress(idat), width * bpp, [], bytes(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = previous[x], previous[x - bpp] if x >= bpp else 0
            line[x] = (line[x] + (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, bpp, rows


def main(argv):
    path, want_w, want_h = argv[0], int(argv[1]), int(argv[2])
    try:
        width, height, bpp, rows = read_png(path)
    except (OSError, ValueError, zlib.error, struct.error, TypeError) as e:
        print(f"{path}: cannot read it as a PNG: {e}")
        return 1
    if (width, height) != (want_w, want_h):
        print(f"{path}: {width}x{height}, expected {want_w}x{want_h}")
        return 1
    background = rows[0][:3]
    ink = sum(1 for row in rows for x in range(0, len(row), bpp) if row[x:x + 3] != background)
    colours = {row[x:x + 3] for row in rows[::8] for x in range(0, len(row), bpp * 8)}
    share = ink / (width * height)
    if share < 0.02 or len(colours) < 4:
        print(f"{path}: blank: {share:.1%} of the pixels differ from the background, "
              f"{len(colours)} colours")
        return 1
    print(f"{path}: {width}x{height}, {share:.1%} of the pixels drawn, {len(colours)} colours "
          f"(sampled)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
