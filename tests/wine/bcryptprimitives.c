/*
 * A stand-in bcryptprimitives.dll for Wine 8, which lacks it: Rust's standard
 * library (1.78 and later) takes its random numbers from ProcessPrng there.
 * Wine 9 has the DLL; Windows has had it since Windows 8. Built by
 * tests/wine/run.sh, never shipped.
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
