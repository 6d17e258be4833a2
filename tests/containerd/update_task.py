#!/usr/bin/python3
"""update_task.py ADDRESS NAMESPACE ID RESOURCES_JSON: containerd's Tasks.Update over gRPC.

What Kubernetes' UpdateContainerResources does through containerd's CRI plugin, without
CRI: ctr 1.6 has no `task update`. containerd hands the linux.resources object to the runc
shim, which runs `RUNTIME update --resources - ID` with it on stdin. The request is encoded
by hand (three protobuf fields), so only python3-grpcio is needed, no generated code.
Exit 0 on success; otherwise 1 with the gRPC error on stderr, 2 when grpc is missing.
"""
import sys

try:
    import grpc
except ImportError:
    print("update_task.py: python3-grpcio is not installed", file=sys.stderr)
    sys.exit(2)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(number, payload):
    """A length-delimited field (wire type 2)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def main():
    if len(sys.argv) != 5:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 1
    address, namespace, container_id, resources = sys.argv[1:]
    # containerd's typeurl for specs.LinuxResources; the value is its JSON.
    any_msg = field(1, b"types.containerd.io/opencontainers/runtime-spec/1/LinuxResources") + \
        field(2, resources.encode())
    request = field(1, container_id.encode()) + field(2, any_msg)
    channel = grpc.insecure_channel("unix://" + address)
    update = channel.unary_unary("/containerd.services.tasks.v1.Tasks/Update",
                                 request_serializer=lambda b: b,
                                 response_deserializer=lambda b: b)
    try:
        update(request, metadata=[("containerd-namespace", namespace)], timeout=30)
    except grpc.RpcError as e:
        print("update_task.py: %s: %s" % (e.code(), e.details()), file=sys.stderr)
        return 1
    finally:
        channel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
