/*
 * The smallest program that uses an installed smtpc: it checks that the header
 * it was compiled with and the library it runs with are the same version, and
 * creates and frees a client (smtpc_client_new does not connect, so no server
 * is needed). Prints "ok: ..." and exits with 0, or says what is wrong and
 * exits with 1.
 */
#include <stdio.h>
#include <string.h>

#include <smtpc.h>

int main(void)
{
    smtpc_client *client = NULL;
    smtpc_status st;
    const char *version = smtpc_version();

    if (version == NULL || strcmp(version, SMTPC_VERSION_STRING) != 0) {
        fprintf(stderr, "header is smtpc %s, library is smtpc %s\n", SMTPC_VERSION_STRING,
                version ? version : "(null)");
        return 1;
    }
    if (smtpc_version_number() != SMTPC_VERSION_NUMBER) {
        fprintf(stderr, "header version number %lu, library %lu\n",
                (unsigned long)SMTPC_VERSION_NUMBER, (unsigned long)smtpc_version_number());
        return 1;
    }

    st = smtpc_client_new("localhost", 25, &client);
    if (st != SMTPC_OK || client == NULL) {
        fprintf(stderr, "smtpc_client_new: %s\n", smtpc_status_str(st));
        return 1;
    }
    smtpc_client_free(client);

    /* A NULL argument is reported, not crashed on. */
    if (smtpc_client_new("localhost", 25, NULL) != SMTPC_ERR_NULL_ARGUMENT) {
        fprintf(stderr, "smtpc_client_new with a NULL out-pointer did not fail\n");
        return 1;
    }

    printf("ok: smtpc %s (header %s, %lu)\n", version, SMTPC_VERSION_STRING,
           (unsigned long)smtpc_version_number());
    return 0;
}
