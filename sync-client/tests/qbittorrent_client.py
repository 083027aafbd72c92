"""Drives tseeder-sync the way Sonarr and Radarr drive qBittorrent, through the qbittorrent-api
client from PyPI: probe, bad and good sign-in, categories, a magnet added by URL and a .torrent
added as a file, polled until complete, then checked on disk and deleted with their files.

Usage: qbittorrent_client.py CONFIG.json; prints one JSON object (what it saw) on success and
exits non-zero with the reason at the first failed expectation."""

import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request

import qbittorrentapi


def expect(condition, message):
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main():
    config = json.load(open(sys.argv[1]))
    host = config["host"]
    seen = {}

    # The unauthenticated probe a client starts with: 403, never 404.
    try:
        urllib.request.urlopen(f"{host}/api/v2/app/webapiVersion", timeout=10)
        expect(False, "webapiVersion answered without a sign-in")
    except urllib.error.HTTPError as err:
        expect(err.code == 403, f"the unauthenticated probe answered {err.code}")

    wrong = qbittorrentapi.Client(
        host=host, username=config["username"], password="not the password",
        REQUESTS_ARGS={"timeout": 10},
    )
    try:
        wrong.auth_log_in()
        expect(False, "a wrong password signed in")
    except qbittorrentapi.LoginFailed:
        seen["wrong_password"] = "LoginFailed"

    qbt = qbittorrentapi.Client(
        host=host, username=config["username"], password=config["password"],
        REQUESTS_ARGS={"timeout": 30},
    )
    qbt.auth_log_in()
    seen["app_version"] = qbt.app.version
    seen["webapi_version"] = qbt.app.web_api_version
    preferences = qbt.app.preferences
    expect(preferences["save_path"].rstrip("/") == config["folder"].rstrip("/"),
           f"save_path is {preferences['save_path']}")
    expect(preferences["max_ratio_enabled"] is False, "a ratio limit is on")
    expect(preferences["queueing_enabled"] is False, "queueing is on")

    keyed = qbittorrentapi.Client(host=host, api_key=config["api_key"])
    expect(keyed.app.version == seen["app_version"], "the API key was not accepted")

    qbt.torrents_create_category(name="tv")
    categories = qbt.torrents_categories()
    expect("tv" in categories, f"categories: {dict(categories)}")
    expect(categories["tv"]["savePath"].rstrip("/") == os.path.join(config["folder"], "tv"),
           f"tv saves to {categories['tv']['savePath']}")

    # Nothing a client names may lead outside the sync folder.
    for name, save_path in (("outside", "/etc"), ("climb", "tv/../../etc"), ("../up", "")):
        try:
            qbt.torrents_create_category(name=name, save_path=save_path)
            expect(False, f"category {name!r} at {save_path!r} was created")
        except qbittorrentapi.InvalidRequest400Error:
            pass
    expect(set(qbt.torrents_categories()) == {"tv"}, "a refused category was kept")

    added = qbt.torrents_add(urls=config["magnet"], category="tv")
    expect(added == "Ok.", f"adding the magnet answered {added!r}")
    # Sonarr reads the properties right after adding.
    properties = qbt.torrents_properties(torrent_hash=config["magnet_hash"])
    expect(properties["save_path"].rstrip("/") == os.path.join(config["folder"], "tv"),
           f"properties after the add: {dict(properties)}")

    with open(config["torrent_file"], "rb") as torrent:
        added = qbt.torrents_add(torrent_files={"film.torrent": torrent.read()}, category="movies")
    expect(added == "Ok.", f"adding the .torrent answered {added!r}")
    expect("movies" in qbt.torrents_categories(), "adding with a new category did not create it")

    # A link it cannot use is refused the way qBittorrent refuses a bad torrent, and says why.
    try:
        qbt.torrents_add(urls="ftp://example.org/file.torrent", category="tv")
        expect(False, "an ftp link was added")
    except qbittorrentapi.UnsupportedMediaType415Error as err:
        expect(err.response.text == "Fails.", f"the refusal said {err.response.text!r}")
        seen["refused_because"] = err.response.headers.get("x-tseeder-error", "")

    deadline = time.time() + 180
    states = {}
    while True:
        done = True
        for category, torrent_hash in (("tv", config["magnet_hash"]), ("movies", config["file_hash"])):
            torrents = qbt.torrents_info(category=category, torrent_hashes=torrent_hash)
            expect(len(torrents) == 1, f"{category}: {len(torrents)} torrents listed")
            torrent = torrents[0]
            states.setdefault(category, [])
            if not states[category] or states[category][-1] != torrent.state:
                states[category].append(torrent.state)
            if torrent.state != "pausedUP":
                expect(torrent.progress < 1, f"{category}: progress 1 while {torrent.state}")
                done = False
        if done:
            break
        expect(time.time() < deadline, f"not complete in time: {states}")
        time.sleep(0.5)
    seen["states"] = states

    for category, torrent_hash, expected in (
        ("tv", config["magnet_hash"], config["magnet_files"]),
        ("movies", config["file_hash"], config["file_files"]),
    ):
        torrent = qbt.torrents_info(torrent_hashes=torrent_hash)[0]
        expect(torrent.category == category, f"category is {torrent.category}")
        expect(torrent.progress == 1, f"progress {torrent.progress}")
        expect(torrent.ratio >= torrent.ratio_limit, "the ratio is under its limit: Sonarr keeps it")
        save_path = os.path.join(config["folder"], category)
        expect(torrent.save_path.rstrip("/") == save_path, f"save_path {torrent.save_path}")
        expect(torrent.content_path == os.path.join(save_path, torrent.name),
               f"content_path {torrent.content_path} for {torrent.name}")
        expect(torrent.content_path.rstrip("/") != torrent.save_path.rstrip("/"),
               "content_path is the save path")
        for relative, digest in expected.items():
            path = os.path.join(save_path, relative)
            expect(os.path.isfile(path), f"{path} is not on disk")
            expect(sha256_of(path) == digest, f"{path} differs from the seeded file")
        files = qbt.torrents_files(torrent_hash=torrent_hash)
        expect(sorted(f.name for f in files) == sorted(expected), f"files: {[f.name for f in files]}")

    magnet_content = qbt.torrents_info(torrent_hashes=config["magnet_hash"])[0].content_path
    film_content = qbt.torrents_info(torrent_hashes=config["file_hash"])[0].content_path
    qbt.torrents_delete(delete_files=True, torrent_hashes=config["magnet_hash"])
    qbt.torrents_delete(delete_files=False, torrent_hashes=config["file_hash"])
    expect(len(qbt.torrents_info()) == 0, "deleted torrents are still listed")
    expect(not os.path.exists(magnet_content), f"{magnet_content} is still on disk")
    expect(os.path.exists(film_content), "deleting without files removed the files")
    seen["deleted"] = [config["magnet_hash"], config["file_hash"]]

    try:
        qbt.torrents_properties(torrent_hash=config["magnet_hash"])
        expect(False, "a deleted torrent still has properties")
    except qbittorrentapi.NotFound404Error:
        pass

    print(json.dumps(seen))


if __name__ == "__main__":
    main()
