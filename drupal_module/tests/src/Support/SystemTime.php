<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support;

use Drupal\Component\Datetime\TimeInterface;

/**
 * Core's time service for code run without Drupal (tests, benchmarks): the
 * system clock, as core's Drupal\Component\Datetime\Time gives it outside a
 * request (that class needs Symfony's RequestStack, absent here).
 */
final class SystemTime implements TimeInterface {

  public function getRequestTime(): int {
    return (int) ($_SERVER['REQUEST_TIME'] ?? time());
  }

  public function getRequestMicroTime(): float {
    return (float) ($_SERVER['REQUEST_TIME_FLOAT'] ?? microtime(TRUE));
  }

  public function getCurrentTime(): int {
    return time();
  }

  public function getCurrentMicroTime(): float {
    return microtime(TRUE);
  }

}
