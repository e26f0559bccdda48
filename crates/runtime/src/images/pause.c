/*
 * kubehci's pause: the first process of every pod sandbox. It holds the pod's namespaces open
 * by doing nothing, reaps orphaned children when it is PID 1 of a shared PID namespace, and
 * exits 0 when asked to stop (SIGINT or SIGTERM).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) {
    (void)sig;
    _exit(0);
}

static void reap(int sig) {
    int saved = errno;
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    errno = saved;
}

static int install(int sig, void (*handler)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        puts("kubehci-pause 3.10");
        return 0;
    }
    /* Handlers first: whoever waits for the line below may signal at once. */
    if (install(SIGINT, stop, 0) != 0 || install(SIGTERM, stop, 0) != 0 ||
        install(SIGCHLD, reap, SA_NOCLDSTOP | SA_RESTART) != 0) {
        perror("kubehci-pause: sigaction");
        return 1;
    }
    if (getpid() != 1) {
        fputs("kubehci-pause: warning: not running as PID 1\n", stderr);
    }
    for (;;) {
        pause();
    }
}
