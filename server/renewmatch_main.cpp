// renewmatch: the operator's command-line tool. Everything but argv handling is in cli.cpp.
#include "server/cli.hpp"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return renewmatch::server::RunCli(args, std::cout, std::cerr);
}
