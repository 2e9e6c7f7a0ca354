<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\Lock\LockBackendInterface;
use Drupal\entra_provisioning\Provisioning\UserLockInterface;

final class DrupalLock implements UserLockInterface {

  public function __construct(
    private LockBackendInterface $lock
  ) {
  }

  public function acquire(string $name, float $timeoutSeconds): bool {
    return (bool) $this->lock->acquire($name, $timeoutSeconds);
  }

  public function release(string $name): void {
    $this->lock->release($name);
  }

}
