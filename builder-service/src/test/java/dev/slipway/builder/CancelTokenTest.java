package dev.slipway.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Cancel token")
class CancelTokenTest {

  @Test
  @DisplayName(
      "cancel closes what is registered, interrupts the worker, and keeps the first reason")
  void cancel() throws Exception {
    CancelToken token = new CancelToken();
    AtomicBoolean closed = new AtomicBoolean();
    AtomicBoolean unregisteredClosed = new AtomicBoolean();
    token.onCancel(() -> closed.set(true));
    token.onCancel(() -> unregisteredClosed.set(true)).close();
    CountDownLatch bound = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    Thread worker =
        Thread.ofVirtual()
            .start(
                () -> {
                  token.bind();
                  bound.countDown();
                  try {
                    Thread.sleep(30_000);
                  } catch (InterruptedException e) {
                    interrupted.set(true);
                  }
                });
    assertThat(bound.await(5, TimeUnit.SECONDS)).isTrue();

    assertThat(token.cancel(CancelToken.Reason.TIMEOUT)).isTrue();
    assertThat(token.cancel(CancelToken.Reason.CANCELLED)).isFalse();
    worker.join(5_000);

    assertThat(interrupted).isTrue();
    assertThat(closed).isTrue();
    assertThat(unregisteredClosed).isFalse();
    assertThat(token.reason()).isEqualTo(CancelToken.Reason.TIMEOUT);
    assertThatThrownBy(token::throwIfCancelled).isInstanceOf(CancelToken.Cancelled.class);
    AtomicBoolean late = new AtomicBoolean();
    token.onCancel(() -> late.set(true));
    assertThat(late).isTrue();
  }
}
