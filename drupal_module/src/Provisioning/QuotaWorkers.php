<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Several processes, one quota: cron, Drush and post-response runs on a few
 * web heads drain the queue and run bulk syncs at once, against the one
 * write quota Graph keeps per application and tenant. Each process that is
 * about to write registers itself here for the length of its call; the
 * library is told how many are registered and keeps this process to its
 * equal part of the write budget (its pacer still adapts below that part).
 *
 * The registry is the site's database (Drupal's expirable key-value store):
 * the one thing every worker of a site already shares, whichever web head or
 * container it runs in. A registration outlives a crashed process by at most
 * its time to live; until then the others keep to a smaller part, which
 * costs throughput, never throttling.
 */
final class QuotaWorkers {

  private string $id;

  private int $depth = 0;

  public function __construct(
    private QuotaWorkerRegistryInterface $registry
  ) {
    $this->id = bin2hex(random_bytes(8));
  }

  /**
   * Runs $work(int $workers) registered as a worker for $ttlSeconds; a nested
   * call renews the registration.
   *
   * @template T
   *
   * @param callable(int): T $work
   *
   * @return T
   */
  public function during(int $ttlSeconds, callable $work) {
    $this->registry->register($this->id, max(1, $ttlSeconds));
    $this->depth++;
    try {
      return $work(max(1, $this->registry->count()));
    }
    finally {
      $this->depth--;
      if ($this->depth === 0) {
        $this->registry->unregister($this->id);
      }
    }
  }

}
