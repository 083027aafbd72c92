"""Makes a hybrid (BitTorrent v1 + v2) torrent with Debian's python3-libtorrent.

libtorrent aligns every file to a piece boundary with padding files (BEP 47), the layout every
hybrid torrent has. Usage: padded_torrent.py CONTENT_DIR TORRENT_OUT. Prints one JSON line: the
info hash and the v1 file list as libtorrent numbers it, padding files included.
"""
import json
import os
import sys

import libtorrent as lt

content, torrent_out = sys.argv[1], sys.argv[2]
storage = lt.file_storage()
lt.add_files(storage, content)
creator = lt.create_torrent(storage, 16 * 1024)
lt.set_piece_hashes(creator, os.path.dirname(content))
with open(torrent_out, "wb") as out:
    out.write(lt.bencode(creator.generate()))

info = lt.torrent_info(torrent_out)
files = info.files()
listing = [
    {
        "index": i,
        "path": files.file_path(i).replace(os.sep, "/"),
        "size": files.file_size(i),
        "padding": bool(files.file_flags(i) & lt.file_storage.flag_pad_file),
    }
    for i in range(files.num_files())
]
print(json.dumps({"infoHash": str(info.info_hashes().v1), "files": listing}), flush=True)
