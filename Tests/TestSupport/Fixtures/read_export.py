#!/usr/bin/env python3
"""Read an export archive with Python's standard library only (tarfile, zipfile; tar.zst through
the `zstd` command), the way a compliance reviewer would, and extract its JSON documents.

Usage: read_export.py ARCHIVE OUTDIR

Every member is written to OUTDIR under its base name. One JSON object is printed on stdout:
{"members": [...], "modes": [...], "users": N, "unique": N, "attributes": [...], "resourceKeys": [...],
 "resourcesDigest": SHA-256 of every user resource, sorted by id (the same users give the same digest,
 however they are split into parts)}
Exit status 1 when the archive cannot be read.
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile


def members(path):
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                yield info.filename, (info.external_attr >> 16) & 0o777, archive.read(info)
        return
    if path.endswith(".tar.zst"):
        data = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    else:
        archive = tarfile.open(path, mode="r:gz")
    with archive:
        for info in archive.getmembers():
            if info.isfile():
                yield info.name, info.mode & 0o777, archive.extractfile(info).read()


def main(argv):
    archive, out = argv[1], argv[2]
    os.makedirs(out, exist_ok=True)
    names, modes, ids, attributes, resource_keys, resources = [], set(), [], set(), set(), []
    for name, mode, data in members(archive):
        names.append(name)
        modes.add(oct(mode))
        with open(os.path.join(out, os.path.basename(name)), "wb") as handle:
            handle.write(data)
        if name.startswith("users/"):
            for resource in json.loads(data)["data"]:
                resources.append(resource)
                ids.append(resource["id"])
                resource_keys.update(resource.keys())
                attributes.update(resource.get("attributes", {}).keys())
    print(json.dumps({"members": names, "modes": sorted(modes), "users": len(ids), "unique": len(set(ids)),
                      "attributes": sorted(attributes), "resourceKeys": sorted(resource_keys),
                      "resourcesDigest": hashlib.sha256(json.dumps(sorted(resources, key=lambda r: r["id"]),
                                                                   sort_keys=True).encode()).hexdigest()}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as error:  # one line, for the test's message
        print(f"cannot read {sys.argv[1]}: {error}", file=sys.stderr)
        sys.exit(1)
