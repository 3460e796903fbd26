// tcp:// address parsing (see tcp_endpoint.h).
#include "adapters/tcp_endpoint.h"

namespace strix::adapters {

bool IsTcpAddress(const std::string& s) {
  return s.rfind("tcp://", 0) == 0;
}

std::optional<TcpAddress> ParseTcpAddress(const std::string& s) {
  if (!IsTcpAddress(s)) return std::nullopt;
  std::string rest = s.substr(6);
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  TcpAddress a;
  a.host = rest.substr(0, colon);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
  }
  if (a.host.empty()) a.host = "127.0.0.1";
  std::string port = rest.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  unsigned long p = std::stoul(port);
  if (p > 65535) return std::nullopt;
  a.port = static_cast<uint16_t>(p);
  return a;
}

}  // namespace strix::adapters
