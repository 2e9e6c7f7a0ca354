<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\Component\Datetime\TimeInterface;
use Psr\Log\LoggerInterface;

/**
 * The suspension of Drupal -> Entra provisioning after an error that every
 * user would hit (configuration, credentials, permission, library).
 *
 * While suspended, the queue keeps every item (released, not delayed, so
 * nothing is locked away once the cause is fixed) and processes none of
 * them until the retry time, when one item probes whether the cause is gone.
 * A successful item, or a successful "Save and Test", lifts the suspension
 * at once. The overview and the status report show since when, why, and
 * what to fix.
 */
final class QueueSuspension {

  public const STATE_KEY = 'entra_provisioning.queue_suspension';

  /**
   * Seconds between two probes of a suspended queue.
   */
  public const PROBE_DELAY = 300;

  public function __construct(private StateStoreInterface $state, private TimeInterface $clock, private LoggerInterface $logger) {
  }

  /**
   * The suspension in effect, or null.
   *
   * @return array{since: int, retry_at: int, summary: string, fix: ?string, kind: string, uid: int}|null
   */
  public function current(): ?array {
    $value = $this->state->get(self::STATE_KEY);
    if (!is_array($value) || !isset($value['since'], $value['retry_at'])) {
      return NULL;
    }

    return [
      'since' => (int) $value['since'],
      'retry_at' => (int) $value['retry_at'],
      'summary' => (string) ($value['summary'] ?? ''),
      'fix' => isset($value['fix']) && is_string($value['fix']) && $value['fix'] !== '' ? $value['fix'] : NULL,
      'kind' => (string) ($value['kind'] ?? ''),
      'uid' => (int) ($value['uid'] ?? 0),
    ];
  }

  /**
   * Seconds until the next probe while suspended; 0 when items may run.
   */
  public function waitSeconds(): int {
    $current = $this->current();

    return $current === NULL ? 0 : max(0, $current['retry_at'] - $this->clock->getCurrentTime());
  }

  /**
   * Suspends (or keeps suspended) after a blocking error.
   *
   * @param array<string, mixed> $error
   *   ResultFormatter::describeError() of the failure.
   */
  public function suspend(array $error, string $summary, int $uid): int {
    $now = $this->clock->getCurrentTime();
    $current = $this->current();
    $this->state->set(self::STATE_KEY, [
      'since' => $current['since'] ?? $now,
      'retry_at' => $now + self::PROBE_DELAY,
      'summary' => $summary,
      'fix' => isset($error['fix']) && is_string($error['fix']) ? $error['fix'] : NULL,
      'kind' => (string) ($error['kind'] ?? ''),
      'uid' => $uid,
    ]);

    return self::PROBE_DELAY;
  }

  /**
   * Lifts the suspension, if any; the waiting items run on the next queue
   * run (right after this request, or cron).
   */
  public function lift(string $why): void {
    $current = $this->current();
    if ($current === NULL) {
      return;
    }
    $this->state->delete(self::STATE_KEY);
    $this->logger->notice('Entra ID provisioning resumed after @why; it was suspended since @since UTC.', [
      '@why' => $why,
      '@since' => gmdate('Y-m-d H:i', $current['since']),
    ]);
  }

}
