<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\entra_provisioning\Provisioning\UserLockInterface;

final class FakeLock implements UserLockInterface {

  /**
   * @var array<string, true>
   */
  public array $held = [];

  /**
   * Names another process holds.
   *
   * @var array<string, true>
   */
  public array $foreign = [];

  /**
   * Every timeout asked for, per lock name (in order).
   *
   * @var array<string, list<float>>
   */
  public array $timeouts = [];

  /**
   * As Drupal's lock backends: acquiring a lock this process already
   * holds extends it (and succeeds).
   */
  public function acquire(string $name, float $timeoutSeconds): bool {
    if (isset($this->foreign[$name])) {
      return FALSE;
    }
    $this->held[$name] = TRUE;
    $this->timeouts[$name][] = $timeoutSeconds;

    return TRUE;
  }

  public function release(string $name): void {
    unset($this->held[$name]);
  }

}
