// second_tu - a second translation unit that includes smtpc.hpp, linked into
// wrapper_test: proves the header-only wrapper defines nothing twice (every
// function is inline), so a program may include it from many files.

#include "smtpc.hpp"

#include <string>

std::string second_tu_status_name(smtpc_status status);

std::string second_tu_status_name(smtpc_status status)
{
    smtpc::Report empty; // instantiates the classes here too
    return empty ? std::string() : std::string(smtpc::status_name(status));
}
