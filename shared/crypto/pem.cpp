#include "shared/crypto/pem.hpp"

#include <string>

#include <fmt/format.h>

namespace sluice::crypto {
namespace {

// A line without its terminator and without trailing blanks or CR (Windows line ends).
std::string_view strip_line_end(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
        line.remove_suffix(1);
    }
    return line;
}

}  // namespace

Result<std::optional<PemBlock>> find_pem_block(std::string_view text, std::string_view label) {
    const std::string begin = fmt::format("-----BEGIN {}-----", label);
    const std::string end = fmt::format("-----END {}-----", label);

    std::optional<PemBlock> block;
    std::size_t body_start = 0;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::size_t next = nl == std::string_view::npos ? text.size() : nl + 1;
        std::string_view line =
            strip_line_end(text.substr(pos, next - pos - (nl == std::string_view::npos ? 0 : 1)));
        ++line_no;
        if (!block) {
            if (line == begin) {
                block = PemBlock{.text = {}, .body = {}, .line = line_no};
                body_start = next;
                block->text = text.substr(pos);  // start; the end is fixed below
            }
        } else if (line == end) {
            const std::size_t block_start = static_cast<std::size_t>(block->text.data() - text.data());
            block->text = text.substr(block_start, next - block_start);
            block->body = text.substr(body_start, pos - body_start);
            return block;
        }
        pos = next;
    }
    if (block) return fail("line {}: \"{}\" has no matching \"{}\" line", block->line, begin, end);
    return std::optional<PemBlock>{};
}

}  // namespace sluice::crypto
