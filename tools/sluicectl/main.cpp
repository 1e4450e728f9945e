// sluicectl: configure sluice and talk to a running sluiced.
#include <iostream>
#include <string>
#include <vector>

#include "tools/sluicectl/cli.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv, argv + argc);
    return sluice::ctl::run(args, std::cout, std::cerr);
}
