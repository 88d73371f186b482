// OpenSSL for the API-server emulator's TLS listener. Only KubeEmulator/Transport/TLSStream.swift uses it.
#include <openssl/ssl.h>
#include <openssl/err.h>
