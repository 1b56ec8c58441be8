// test_evq.cc — the virtual-time event queue: firing order by time then scheduling order,
// rescheduling and cancelling, callbacks that re-arm themselves (periodic timers), clamping of
// past times, and time never moving backwards.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/evq.h"

namespace {

struct Rec {
    std::vector<std::string> *log;
    const char *tag;
};

void record(void *o, uint64_t now) {
    Rec *r = static_cast<Rec *>(o);
    r->log->push_back(std::string(r->tag) + "@" + std::to_string(now));
}

TEST(Evq, FiresInTimeThenSchedulingOrder) {
    evq q;
    evq_init(&q);
    std::vector<std::string> log;
    Rec ra{&log, "a"}, rb{&log, "b"}, rc{&log, "c"};
    event a, b, c;
    event_init(&a, record, &ra, "a");
    event_init(&b, record, &rb, "b");
    event_init(&c, record, &rc, "c");
    evq_schedule(&q, &a, 300);
    evq_schedule(&q, &b, 100);
    evq_schedule(&q, &c, 300);                       // same time as a, scheduled later
    EXPECT_EQ(evq_next(&q), 100u);
    evq_run_until(&q, 250);
    EXPECT_EQ(log, (std::vector<std::string>{"b@100"}));
    EXPECT_EQ(q.now, 250u);
    evq_run_until(&q, 1000);
    EXPECT_EQ(log, (std::vector<std::string>{"b@100", "a@300", "c@300"}));
    EXPECT_EQ(q.now, 1000u);
    EXPECT_EQ(evq_next(&q), UINT64_MAX);
    EXPECT_EQ(q.fired, 3u);
}

TEST(Evq, RescheduleMovesAndCancelRemoves) {
    evq q;
    evq_init(&q);
    std::vector<std::string> log;
    Rec ra{&log, "a"}, rb{&log, "b"};
    event a, b;
    event_init(&a, record, &ra, "a");
    event_init(&b, record, &rb, "b");
    evq_schedule(&q, &a, 100);
    evq_schedule(&q, &b, 200);
    evq_schedule(&q, &a, 300);                       // moved after b
    evq_cancel(&q, &b);
    evq_cancel(&q, &b);                              // cancelling twice is harmless
    evq_run_until(&q, 1000);
    EXPECT_EQ(log, (std::vector<std::string>{"a@300"}));
}

struct Periodic {
    evq *q;
    event e;
    uint64_t period;
    int count;
};

void tick(void *o, uint64_t now) {
    Periodic *p = static_cast<Periodic *>(o);
    p->count++;
    evq_schedule(p->q, &p->e, now + p->period);
}

TEST(Evq, PeriodicTimerRearmsItself) {
    evq q;
    evq_init(&q);
    Periodic p{&q, {}, 10 * PS_PER_US, 0};
    event_init(&p.e, tick, &p, "tick");
    evq_schedule(&q, &p.e, 10 * PS_PER_US);
    evq_run_until(&q, PS_PER_MS);                    // 1 ms / 10 us = 100 ticks
    EXPECT_EQ(p.count, 100);
    EXPECT_EQ(evq_next(&q), PS_PER_MS + 10 * PS_PER_US);
}

TEST(Evq, PastTimesClampToNowAndTimeNeverGoesBack) {
    evq q;
    evq_init(&q);
    std::vector<std::string> log;
    Rec ra{&log, "a"};
    event a;
    event_init(&a, record, &ra, "a");
    evq_run_until(&q, 500);
    evq_schedule(&q, &a, 100);                       // in the past: fires at now
    EXPECT_EQ(a.when, 500u);
    evq_run_until(&q, 500);
    EXPECT_EQ(log, (std::vector<std::string>{"a@500"}));
    evq_run_until(&q, 400);                          // earlier than now: time stays
    EXPECT_EQ(q.now, 500u);
}

}  // namespace
