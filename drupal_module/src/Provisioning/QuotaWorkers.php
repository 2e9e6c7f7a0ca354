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
   * Sends $users through $send(list $part, int $workers), the bulk call, as
   * one call while this process is the only worker, and in calls of
   * $sharedCallUsers while others write too. The count is read anew for each
   * call, so when a process joins or leaves, everyone's part changes within
   * a call, not a chunk later.
   *
   * @param list<array<string, mixed>> $users
   * @param callable(list<array<string, mixed>>, int): array<string, mixed> $send
   *
   * @return array{results: list<mixed>}
   *   The calls' results, in the order of $users.
   */
  public function sendInCalls(array $users, int $ttlSeconds, int $sharedCallUsers, callable $send): array {
    // Registered from the first call to the last: between two calls this
    // process still writes, and a process counting then must see it.
    return $this->during($ttlSeconds, function () use ($users, $ttlSeconds, $sharedCallUsers, $send): array {
      $results = [];
      $offset = 0;
      $total = count($users);
      while ($offset < $total) {
        $response = $this->during($ttlSeconds, static function (int $workers) use ($users, $offset, $total, $sharedCallUsers, $send): array {
          $size = $workers > 1 ? max(1, $sharedCallUsers) : $total - $offset;

          return $send(array_slice($users, $offset, $size), $workers) + ['sent' => min($size, $total - $offset)];
        });
        $part = is_array($response['results'] ?? NULL) ? array_values($response['results']) : [];
        $sent = (int) $response['sent'];
        for ($k = 0; $k < $sent; $k++) {
          $results[] = $part[$k] ?? NULL;
        }
        $offset += $sent;
      }

      return ['results' => $results];
    });
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
