<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

interface ClockInterface
{
    /**
     * Unix time in seconds.
     */
    public function now(): int;

    /**
     * Unix time in seconds with microseconds (for time budgets).
     */
    public function microtime(): float;
}
