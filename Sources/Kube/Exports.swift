// The client's requests and answers name objects with the pure types of `KubeObjects` (keys,
// resources, views), and it sends them through `HTTPClient`'s transport (its configuration and
// credentials are part of the client's configuration): importing `Kube` brings both along, as
// swift-nio's NIOPosix brings NIOCore.
@_exported import HTTPClient
@_exported import KubeObjects
