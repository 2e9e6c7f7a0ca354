<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\Lock\LockBackendInterface;
use Drupal\entra_provisioning\Provisioning\UserLockInterface;

final class DrupalLock implements UserLockInterface
{
    private LockBackendInterface $lock;

    public function __construct(LockBackendInterface $lock)
    {
        $this->lock = $lock;
    }

    public function acquire(string $name, float $timeoutSeconds): bool
    {
        return (bool) $this->lock->acquire($name, $timeoutSeconds);
    }

    public function release(string $name): void
    {
        $this->lock->release($name);
    }
}
