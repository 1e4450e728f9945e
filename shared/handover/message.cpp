#include "shared/handover/message.hpp"

#include <charconv>

namespace sluice::handover {

namespace {

bool clean(std::string_view s) {
    return s.find_first_of(" =\n\r\t") == std::string_view::npos;
}

}  // namespace

std::string Message::get(std::string_view key, std::string_view fallback) const {
    auto it = fields.find(key);
    return it == fields.end() ? std::string(fallback) : it->second;
}

Result<std::uint64_t> Message::get_number(std::string_view key) const {
    auto it = fields.find(key);
    if (it == fields.end()) return fail("{} has no {}", name, key);
    std::uint64_t value = 0;
    const auto& s = it->second;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size())
        return fail("{}: {}={} is not a number", name, key, s);
    return value;
}

Result<std::string> format_message(const Message& message) {
    if (message.name.empty() || !clean(message.name))
        return fail("handover: bad message name \"{}\"", message.name);
    std::string out = message.name;
    if (message.name == "ERROR") {
        const std::string text = message.get("message");
        if (text.find('\n') != std::string::npos) return fail("handover: ERROR text with a newline");
        if (!text.empty()) out += " " + text;
        return out;
    }
    for (const auto& [k, v] : message.fields) {
        if (k.empty() || !clean(k) || !clean(v))
            return fail("handover: {} field \"{}\" = \"{}\" has a separator", message.name, k, v);
        out += " " + k + "=" + v;
    }
    if (out.size() > kMaxMessage) return fail("handover: {} message of {} bytes", message.name, out.size());
    return out;
}

Result<Message> parse_message(std::string_view text) {
    if (text.empty() || text.size() > kMaxMessage) return fail("handover: message of {} bytes", text.size());
    Message m;
    const auto space = text.find(' ');
    m.name = std::string(text.substr(0, space));
    if (!clean(m.name)) return fail("handover: bad message name");
    if (space == std::string_view::npos) return m;
    std::string_view rest = text.substr(space + 1);
    if (m.name == "ERROR") {
        m.fields["message"] = std::string(rest);
        return m;
    }
    while (!rest.empty()) {
        const auto end = rest.find(' ');
        const std::string_view word = rest.substr(0, end);
        const auto eq = word.find('=');
        if (eq == std::string_view::npos || eq == 0)
            return fail("handover: {}: \"{}\" is not key=value", m.name, word);
        m.fields[std::string(word.substr(0, eq))] = std::string(word.substr(eq + 1));
        if (end == std::string_view::npos) break;
        rest = rest.substr(end + 1);
    }
    return m;
}

}  // namespace sluice::handover
