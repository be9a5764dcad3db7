"""An Outlook .msg file, written from scratch (extract-msg reads .msg files but cannot write them).

A .msg is a Compound File Binary (MS-CFB, version 3: 512-byte sectors, streams under 4,096 bytes
in the 64-byte-sector mini stream) holding MAPI properties (MS-OXMSG): a __properties_version1.0
stream of fixed-size values, a __substg1.0_<id><type> stream for each string or binary value, one
storage per recipient and per attachment. This writes just enough of both for a real reader."""

from __future__ import annotations

import struct

SECTOR, MINI_SECTOR, CUTOFF = 512, 64, 4096
FREE, END, FAT_SECTOR, NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
UNICODE, BINARY, LONG = 0x001F, 0x0102, 0x0003


class Node:
    def __init__(self, name: str, data: bytes | None = None, children: list[Node] | None = None):
        self.name, self.data, self.children = name, data, children or []
        self.index = 0
        self.start, self.size = END, 0
        self.left = self.right = self.child = NONE


def _sort_key(node: Node) -> tuple[int, str]:
    return len(node.name), node.name.upper()  # MS-CFB's order: shorter names first, then case-blind


def _tree(nodes: list[Node]) -> int:
    """A balanced binary tree of siblings (all black, which readers accept); its root's index."""
    if not nodes:
        return NONE
    middle = len(nodes) // 2
    root = nodes[middle]
    root.left, root.right = _tree(nodes[:middle]), _tree(nodes[middle + 1 :])
    return root.index


def _chain(fat: list[int], first: int, count: int) -> None:
    for offset in range(count):
        fat[first + offset] = first + offset + 1 if offset + 1 < count else END


def compound_file(root_children: list[Node]) -> bytes:
    root = Node("Root Entry", children=root_children)
    entries: list[Node] = []

    def number(node: Node) -> None:
        node.index = len(entries)
        entries.append(node)
        for child in sorted(node.children, key=_sort_key):
            number(child)

    number(root)
    for node in entries:
        node.child = _tree(sorted(node.children, key=_sort_key)) if node.data is None else NONE
    # small streams into the mini stream, the rest into sectors of their own
    mini_stream, mini_fat, big = b"", [], []
    for node in entries[1:]:
        if node.data is None:
            continue
        node.size = len(node.data)
        if node.size >= CUTOFF:
            big.append(node)
        elif node.size:
            count = -(-node.size // MINI_SECTOR)
            node.start = len(mini_fat)
            mini_fat += [0] * count
            _chain(mini_fat, node.start, count)
            mini_stream += node.data.ljust(count * MINI_SECTOR, b"\0")
    root.size = len(mini_stream)
    sectors: list[bytes] = []

    def place(data: bytes) -> tuple[int, int]:
        count = -(-len(data) // SECTOR)
        start = len(sectors)
        sectors.extend(data[i * SECTOR : (i + 1) * SECTOR].ljust(SECTOR, b"\0") for i in range(count))
        return start, count

    chains = []
    for node in big:
        node.start, count = place(node.data)
        chains.append((node.start, count))
    if mini_stream:
        root.start, count = place(mini_stream)
        chains.append((root.start, count))
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat) if mini_fat else b""
    mini_fat_start, mini_fat_count = place(mini_fat_bytes) if mini_fat else (END, 0)
    if mini_fat:
        chains.append((mini_fat_start, mini_fat_count))
    directory = b""
    for node in entries:
        name = node.name.encode("utf-16-le") + b"\0\0"
        kind = 5 if node is root else (1 if node.data is None else 2)
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ", name, len(name), kind, 1, node.left, node.right, node.child,
            b"\0" * 16, 0, 0, 0, node.start if (node.size or node is root) else END, node.size,
        )  # fmt: skip
    directory = directory.ljust(-(-len(directory) // SECTOR) * SECTOR, b"\0")
    # padding entries: unused, with no siblings or child
    for offset in range(len(entries) * 128, len(directory), 128):
        directory = directory[:offset] + b"\0" * 68 + struct.pack("<III", NONE, NONE, NONE) + directory[offset + 80 :]
    directory_start, count = place(directory)
    chains.append((directory_start, count))
    fat_count = 1
    while fat_count * (SECTOR // 4) < len(sectors) + fat_count:
        fat_count += 1
    fat = [FREE] * (fat_count * (SECTOR // 4))
    for start, count in chains:
        _chain(fat, start, count)
    fat_start = len(sectors)
    for offset in range(fat_count):
        fat[fat_start + offset] = FAT_SECTOR
    sectors.extend(struct.pack(f"<{SECTOR // 4}I", *fat[i * 128 : (i + 1) * 128]) for i in range(fat_count))
    difat = [fat_start + i for i in range(fat_count)] + [FREE] * (109 - fat_count)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16, 0x3E, 3, 0xFFFE, 9, 6,
        b"\0" * 6, 0, fat_count, directory_start, 0, CUTOFF, mini_fat_start, mini_fat_count, END, 0, *difat,
    )  # fmt: skip
    return header + b"".join(sectors)


def _properties(values: list[tuple[int, int, object]], header: bytes) -> list[Node]:
    """The __properties_version1.0 stream and a __substg1.0 stream per variable-length value."""
    fixed, streams = header, []
    for prop_id, prop_type, value in values:
        tag = (prop_id << 16) | prop_type
        if prop_type == LONG:
            fixed += struct.pack("<IIiI", tag, 6, value, 0)
            continue
        data = value.encode("utf-16-le") if prop_type == UNICODE else value
        fixed += struct.pack("<IIII", tag, 6, len(data) + (2 if prop_type == UNICODE else 0), 0)
        streams.append(Node(f"__substg1.0_{prop_id:04X}{prop_type:04X}", data))
    return [Node("__properties_version1.0", fixed), *streams]


def outlook_msg(*, subject: str, body: str, sender: str, sender_name: str, to: str, headers: str,
                attachments: list[tuple[str, str, bytes]]) -> bytes:  # fmt: skip
    """An IPM.Note with one recipient and the given attachments (filename, MIME type, bytes)."""
    message = [
        (0x001A, UNICODE, "IPM.Note"),
        (0x0037, UNICODE, subject),
        (0x1000, UNICODE, body),
        (0x0C1A, UNICODE, sender_name),
        (0x0C1F, UNICODE, sender),
        (0x0E04, UNICODE, to),
        (0x007D, UNICODE, headers),
    ]
    top = struct.pack("<8sIIII8s", b"", 1, len(attachments), 1, len(attachments), b"")
    recipient = Node(
        "__recip_version1.0_#00000000",
        children=_properties([(0x3001, UNICODE, to), (0x3003, UNICODE, to), (0x0C15, LONG, 1)], b"\0" * 8),
    )
    parts = [
        Node(
            f"__attach_version1.0_#{n:08X}",
            children=_properties(
                [
                    (0x3705, LONG, 1),
                    (0x3707, UNICODE, name),
                    (0x3704, UNICODE, name),
                    (0x370E, UNICODE, mime),
                    (0x3701, BINARY, data),
                ],
                b"\0" * 8,
            ),  # fmt: skip
        )
        for n, (name, mime, data) in enumerate(attachments)
    ]
    named = Node("__nameid_version1.0", children=[Node(f"__substg1.0_000{n}0102", b"") for n in (2, 3, 4)])
    return compound_file([*_properties(message, top), recipient, *parts, named])
