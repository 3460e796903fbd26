// TCP adapter tests: addresses; the listener with several concurrent clients (nothing lost,
// per-connection line numbers, a client that disconnects mid-line, an endless line, a slow
// client that does not hold up the others); the sink reconnecting without losing lines.
#include <atomic>
// clang-format off
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without it in C++20
#include <boost/asio.hpp>
// clang-format on
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <thread>

#include "adapters/tcp_output.h"
#include "adapters/tcp_source.h"

using namespace strix;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

void Send(uint16_t port, const std::string& data, size_t chunk, bool pause = false) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  for (size_t at = 0; at < data.size(); at += chunk) {
    asio::write(s, asio::buffer(data.data() + at, std::min(chunk, data.size() - at)));
    if (pause) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace

TEST_CASE("tcp addresses", "[tcp]") {
  auto a = adapters::ParseTcpAddress("tcp://:9000");
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");  // loopback unless told otherwise
  CHECK(a->port == 9000);
  a = adapters::ParseTcpAddress("tcp://[::1]:80");
  REQUIRE(a);
  CHECK(a->host == "::1");
  CHECK_FALSE(adapters::ParseTcpAddress("tcp://host"));
  CHECK_FALSE(adapters::ParseTcpAddress("tcp://host:70000"));
  CHECK_FALSE(adapters::ParseTcpAddress("udp://host:1"));
}

TEST_CASE("tcp source: many clients at once, nothing lost", "[tcp]") {
  std::atomic<bool> stop{false};
  auto src =
      adapters::TcpSource::Listen(adapters::TcpAddress{"127.0.0.1", 0}, 100, &stop, 64 * 12, 3);
  REQUIRE(src.ok());
  uint16_t port = (*src)->port();
  REQUIRE(port != 0);
  const int kClients = 8, kLines = 400;
  std::vector<std::thread> clients;
  // A slow client: half a line, then silence while the others send everything.
  asio::io_context io;
  tcp::socket slow(io);
  slow.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(slow, asio::buffer(std::string("{\"slow\":")));
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([c, port] {
      std::string data;
      for (int i = 0; i < kLines; ++i)
        data += "{\"c\":" + std::to_string(c) + ",\"i\":" + std::to_string(i) + "}\n";
      if (c == 0)
        data += std::string(500, 'x') + "\n{\"after\":\"endless\"}\n";  // too long, then fine
      if (c == 1) data += "{\"cut\":";                                  // ends mid-line
      Send(port, data, 7 + c * 13, c == 2);
    });
  }
  std::map<std::string, std::vector<uint64_t>> numbers;  // origin -> line numbers
  std::set<std::string> texts;
  size_t too_long = 0;
  const size_t want = kClients * kLines + 1 /* after endless */ + 1 /* cut */;
  size_t got = 0;
  adapters::Line line;
  while (got + too_long < want + 1 && (*src)->Next(line)) {
    if (line.too_long) {
      ++too_long;
      CHECK(line.text.size() == 100);
      continue;
    }
    ++got;
    texts.insert(std::string(line.text));
    numbers[std::string(line.origin)].push_back(line.number);
  }
  for (auto& t : clients) t.join();
  CHECK(got == want);
  CHECK(too_long == 1);
  CHECK(texts.size() == want);
  CHECK(texts.count("{\"cut\":") == 1);
  CHECK(texts.count("{\"after\":\"endless\"}") == 1);
  for (auto& [origin, nums] : numbers) {
    INFO(origin);
    CHECK_THAT(origin, Catch::StartsWith("127.0.0.1:"));
    // In order, from 1, each once; the one gap is the too-long line (counted, not handed over).
    for (size_t i = 1; i < nums.size(); ++i) CHECK(nums[i] > nums[i - 1]);
    CHECK(nums.front() == 1);
    CHECK(nums.back() - nums.size() <= 1);
  }
  // The slow client's line completes last.
  asio::write(slow, asio::buffer(std::string("1}\n")));
  REQUIRE((*src)->Next(line));
  CHECK(line.text == "{\"slow\":1}");
  stop.store(true);
  CHECK_FALSE((*src)->Next(line));
}

TEST_CASE("tcp sink reconnects and loses nothing while the peer is up", "[tcp]") {
  asio::io_context io;
  tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  uint16_t port = probe.local_endpoint().port();
  probe.close();  // nothing listens yet: the writer must retry until the peer is up
  std::vector<std::string> chunks;
  for (int i = 0; i < 40; ++i) {
    std::string c;
    for (int j = 0; j < 25; ++j) c += "{\"n\":" + std::to_string(i * 25 + j) + "}\n";
    chunks.push_back(c);
  }
  size_t first_ten = 0;
  for (int i = 0; i < 10; ++i) first_ten += chunks[size_t(i)].size();
  std::string received;
  std::atomic<bool> dropped{false};
  std::thread server([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    for (int round = 0; round < 2; ++round) {
      tcp::socket s(io);
      acceptor.accept(s);
      std::vector<char> buf(first_ten);
      boost::system::error_code ec;
      if (round == 0) {  // read exactly ten chunks, then hang up
        asio::read(s, asio::buffer(buf), ec);
        received.append(buf.data(), buf.size());
        s.close();
        dropped.store(true);
        continue;
      }
      char b[4096];
      while (true) {
        size_t n = s.read_some(asio::buffer(b), ec);
        received.append(b, n);
        if (ec) break;
      }
    }
  });
  {
    adapters::TcpWriter w(adapters::TcpAddress{"127.0.0.1", port});
    for (size_t i = 0; i < chunks.size(); ++i) {
      REQUIRE(w.WriteAll(chunks[i]));
      if (i == 9) {
        while (!dropped.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    CHECK(w.reconnects() >= 1);
  }  // closes the connection: the server's second round ends
  server.join();
  // At least once: every line arrives, in order per connection; the lines of the first
  // connection are sent again on the second (the peer may have dropped them unread).
  std::string all;
  for (const std::string& c : chunks) all += c;
  CHECK(received.size() >= all.size());
  CHECK(received.substr(received.size() - all.size()) == all);
}

TEST_CASE("tcp sink resends what a peer that hung up had not read, and times out a stuck peer",
          "[tcp]") {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  uint16_t port = acceptor.local_endpoint().port();
  std::string lines;
  for (int i = 0; i < 20000; ++i) lines += "{\"n\":" + std::to_string(i) + "}\n";
  std::string second;
  std::atomic<bool> first_closed{false};
  std::thread server([&] {
    // First peer: accepts, reads nothing, goes away with everything unread (in its buffers).
    tcp::socket a(io);
    acceptor.accept(a);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    a.close();
    first_closed.store(true);
    // Second peer: accepts and never reads (stuck): the write timeout must end it.
    tcp::socket b(io);
    acceptor.accept(b);
    // Third peer: reads everything.
    tcp::socket c(io);
    acceptor.accept(c);
    boost::system::error_code ec;
    char buf[65536];
    while (true) {
      size_t n = c.read_some(asio::buffer(buf), ec);
      second.append(buf, n);
      if (ec) break;
    }
  });
  std::vector<std::string> said;
  {
    adapters::TcpWriterOptions o;
    o.write_timeout_ms = 500;
    o.on_status = [&](const std::string& s) { said.push_back(s); };
    adapters::TcpWriter w(adapters::TcpAddress{"127.0.0.1", port}, o);
    REQUIRE(w.WriteAll(std::string_view(lines).substr(0, lines.size() / 2)));
    while (!first_closed.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // The stuck second peer cannot take 10 MB: the timeout moves on to the third.
    std::string big;
    for (int i = 0; i < 300000; ++i) big += "{\"pad\":" + std::to_string(i) + "}\n";
    REQUIRE(w.WriteAll(std::string_view(lines).substr(lines.size() / 2)));
    REQUIRE(w.WriteAll(big));
    lines += big;
    CHECK(w.reconnects() >= 2);
  }
  server.join();
  // Every line reached the third peer (resent from the window), the last ones in order.
  CHECK(second.size() >= lines.size());
  CHECK(second.substr(second.size() - lines.size()) == lines);
  REQUIRE(said.size() >= 2);
  CHECK_THAT(said.front(), Catch::StartsWith("down ("));
  CHECK_THAT(said.back(), Catch::StartsWith("back up after"));
}
