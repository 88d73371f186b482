// OpenSSL for the API-server emulator's TLS listener. Only HTTPKitTLS/TLSStream.swift uses it.
#include <openssl/ssl.h>
#include <openssl/err.h>
