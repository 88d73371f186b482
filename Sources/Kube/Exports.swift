// The client's requests and answers name objects with the pure types of `KubeObjects` (keys,
// resources, views): importing `Kube` brings them along, as swift-nio's NIOPosix brings NIOCore.
@_exported import KubeObjects
