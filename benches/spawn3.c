/* spawn3: a control for start-up timings. Starts three threads that do
 * nothing and joins them, as rlmq's start-up starts two pool workers and one
 * interpreter thread and waits for them. On an idle machine it takes well
 * under a millisecond; when every CPU is busy with other work, its wall time
 * shows what waiting for newly started threads to be scheduled costs there.
 *
 * Build: gcc -O2 -pthread -o spawn3 spawn3.c
 */
#include <pthread.h>
#include <stdio.h>

static void *idle(void *arg) { return arg; }

int main(void) {
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        if (pthread_create(&t[i], NULL, idle, NULL) != 0) {
            perror("pthread_create");
            return 1;
        }
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    puts("3");
    return 0;
}
