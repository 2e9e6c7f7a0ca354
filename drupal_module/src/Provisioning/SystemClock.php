<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

final class SystemClock implements ClockInterface
{
    public function now(): int
    {
        return time();
    }

    public function microtime(): float
    {
        return microtime(true);
    }
}
