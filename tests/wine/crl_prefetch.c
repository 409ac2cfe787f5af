/*
 * Fetches a CRL by URL into Wine's URL cache, where the certificate check that
 * SChannel runs (cache only, no network) finds it. tests/wine/run.sh says why
 * Wine 8 needs this. Built by that script, never shipped.
 *
 * Usage: crl_prefetch URL
 */
#include <windows.h>
#include <wincrypt.h>
#include <stdio.h>

int wmain(int argc, wchar_t **argv)
{
    void *crl = NULL;
    if (argc != 2) {
        fprintf(stderr, "usage: crl_prefetch URL\n");
        return 2;
    }
    if (!CryptRetrieveObjectByUrlW(argv[1], CONTEXT_OID_CRL, 0, 10000, &crl, NULL, NULL,
                                   NULL, NULL)) {
        fprintf(stderr, "crl_prefetch: cannot fetch %ls: error 0x%08lx\n", argv[1],
                (unsigned long)GetLastError());
        return 1;
    }
    CertFreeCRLContext((PCCRL_CONTEXT)crl);
    printf("crl_prefetch: cached %ls\n", argv[1]);
    return 0;
}
