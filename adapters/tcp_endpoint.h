// "tcp://HOST:PORT" addresses for the TCP source and sink.
// Stage: adapters. Interface: ParseTcpAddress(). An empty host means 127.0.0.1, so nothing
// binds a non-loopback address unless one is written; "[::1]:9000" holds an IPv6 address.
// Covered by test/tcp_test.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace strix::adapters {

struct TcpAddress {
  std::string host;
  uint16_t port = 0;
};

bool IsTcpAddress(const std::string& s);
// nullopt when `s` is not tcp://HOST:PORT with a port in 0..65535.
std::optional<TcpAddress> ParseTcpAddress(const std::string& s);

}  // namespace strix::adapters
