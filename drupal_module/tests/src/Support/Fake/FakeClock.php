<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\Component\Datetime\TimeInterface;

/**
 * Core's time service with a time the test sets and advances.
 *
 * The request time follows the current time: the module asks only for the
 * current one, and a test that advances time means "later in the run".
 */
final class FakeClock implements TimeInterface {

  public float $time;

  /**
   * Seconds added by every getCurrentMicroTime() call (lets budgets run out).
   */
  public float $tick = 0.0;

  public function __construct(float $time = 1700000000.0) {
    $this->time = $time;
  }

  public function getRequestTime(): int {
    return (int) $this->time;
  }

  public function getRequestMicroTime(): float {
    return $this->time;
  }

  public function getCurrentTime(): int {
    return (int) $this->time;
  }

  public function getCurrentMicroTime(): float {
    $this->time += $this->tick;

    return $this->time;
  }

  public function advance(float $seconds): void {
    $this->time += $seconds;
  }

}
