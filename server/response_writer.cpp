#include "server/response_writer.hpp"

namespace renewmatch::server {

bool SerializeResponse(const api::HttpResponse& response, std::string& out) {
    out.clear();
    const unsigned version = response.version();
    out += "HTTP/";
    out += static_cast<char>('0' + version / 10);
    out += '.';
    out += static_cast<char>('0' + version % 10);
    out += ' ';
    const unsigned code = response.result_int();  // three digits, as Beast writes it
    out += static_cast<char>('0' + code / 100);
    out += static_cast<char>('0' + code / 10 % 10);
    out += static_cast<char>('0' + code % 10);
    out += ' ';
    const auto reason = response.reason();
    out.append(reason.data(), reason.size());
    out += "\r\n";
    for (const auto& field : response) {
        const auto name = field.name_string();
        const auto value = field.value();
        out.append(name.data(), name.size());
        out += ": ";
        out.append(value.data(), value.size());
        out += "\r\n";
    }
    out += "\r\n";
    const std::string& body = response.body();
    if (body.size() > kCoalesceBodyLimit) return false;
    out += body;
    return true;
}

}  // namespace renewmatch::server
