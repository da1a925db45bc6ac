"""ServerSet members through Python's kazoo (Debian's python3-kazoo), as the Python tools of
the Thrift world read and write them (Finagle's ServiceInstance JSON under EPHEMERAL_SEQUENTIAL
`member_` nodes).

    serverset.py HOST:PORT read PATH
        Prints one JSON line per `member_` child of PATH: its name, whether it is ephemeral,
        and its data parsed and checked as a ServerSet member (an error names what is
        wrong). Exits 0 when every member is valid.

    serverset.py HOST:PORT write PATH HOST PORT
        Creates a member for HOST:PORT (with an additional endpoint `admin` on PORT+1, shard
        0 and metadata), prints its node's name, and holds its session until stdin closes.

    serverset.py HOST:PORT write-raw PATH DATA
        The same with DATA as the node's bytes, whatever they are (a malformed member).
"""

import json
import sys

from kazoo.client import KazooClient

STATUSES = ("DEAD", "STARTING", "ALIVE", "STOPPING", "STOPPED", "WARNING")


def check_endpoint(value, where):
    if not isinstance(value, dict):
        raise ValueError("%s is not an object" % where)
    if not isinstance(value.get("host"), str):
        raise ValueError("%s.host is not a string" % where)
    port = value.get("port")
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ValueError("%s.port is not a port" % where)


def check_member(data):
    member = json.loads(data.decode("utf-8"))
    check_endpoint(member.get("serviceEndpoint"), "serviceEndpoint")
    for name, endpoint in member.get("additionalEndpoints", {}).items():
        check_endpoint(endpoint, "additionalEndpoints.%s" % name)
    if member.get("status") not in STATUSES:
        raise ValueError("status %r is not a ServerSet status" % member.get("status"))
    if "shard" in member and not isinstance(member["shard"], int):
        raise ValueError("shard is not an integer")
    return member


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    zk = KazooClient(hosts=argv[0], timeout=10)
    zk.start(timeout=15)
    try:
        command, path = argv[1], argv[2]
        if command == "read":
            ok = True
            for child in sorted(zk.get_children(path)):
                if not child.startswith("member_"):
                    continue
                data, stat = zk.get(path + "/" + child)
                line = {"name": child, "ephemeral": stat.ephemeralOwner != 0}
                try:
                    line["member"] = check_member(data)
                except Exception as e:  # noqa: BLE001 - reported, not raised
                    line["error"] = str(e)
                    ok = False
                print(json.dumps(line, sort_keys=True), flush=True)
            return 0 if ok else 1
        if command in ("write", "write-raw"):
            if command == "write":
                host, port = argv[3], int(argv[4])
                member = {
                    "serviceEndpoint": {"host": host, "port": port},
                    "additionalEndpoints": {"admin": {"host": host, "port": port + 1}},
                    "status": "ALIVE",
                    "shard": 0,
                    "metadata": {"written_by": "kazoo"},
                }
                data = json.dumps(member).encode("utf-8")
            else:
                data = argv[3].encode("utf-8")
            zk.ensure_path(path)
            node = zk.create(path + "/member_", data, ephemeral=True, sequence=True)
            print(node.rsplit("/", 1)[1], flush=True)
            sys.stdin.read()
            return 0
        sys.exit(__doc__)
    finally:
        zk.stop()
        zk.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
