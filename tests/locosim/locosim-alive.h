/* locoirc: see LICENSE.
 *
 * locosim's "alive" mode: a timer that now and then makes a random member
 * of a random chat (never an account, whose messages come from real
 * clients) send a text, a photo, a reply or a reaction, so a demo world
 * is seen to live. It acts only through the same calls the control
 * socket's send, photo, reply and react commands use.
 */
#ifndef LOCOIRC_TESTS_LOCOSIM_ALIVE_H
#define LOCOIRC_TESTS_LOCOSIM_ALIVE_H

#include <stdint.h>

struct locosim;
struct locosim_alive;

/* The largest mean interval accepted, in milliseconds (one day). */
#define LOCOSIM_ALIVE_MAX_MS (86400U * 1000U)

/*
 * Start acting in sim every mean_ms on average (each wait is drawn from
 * [mean/2, 3*mean/2]), with a pseudo-random sequence from seed. mean_ms
 * must be in [1, LOCOSIM_ALIVE_MAX_MS]. sim is borrowed and must outlive
 * the returned object; free it with locosim_alive_free before
 * locosim_free. Returns NULL when mean_ms is out of range or the timer
 * cannot be made.
 */
struct locosim_alive *locosim_alive_new(struct locosim *sim, uint32_t mean_ms,
    uint64_t seed);

/* Stop the timer and free; NULL is a no-op. */
void locosim_alive_free(struct locosim_alive *a);

/* How many actions have been done so far (each kind counted in one). */
uint64_t locosim_alive_count(const struct locosim_alive *a);

#endif
