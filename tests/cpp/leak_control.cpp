// leak_control - the negative control of tests/cpp/check.sh: leaks one smtpc
// message on purpose (Message::release() without smtpc_message_free), so the
// valgrind run must fail with exit 99. If it does not, "no valgrind errors" in
// the other runs would prove nothing.

#include "smtpc.hpp"

int main()
{
    smtpc::Message m;
    m.set_subject("leaked on purpose");
    smtpc_message *leaked = m.release();
    return leaked != nullptr ? 0 : 1;
}
