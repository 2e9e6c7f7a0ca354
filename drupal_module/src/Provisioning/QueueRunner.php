<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\Component\Datetime\TimeInterface;
use Psr\Log\LoggerInterface;

/**
 * Works the queue in groups: the post-response run, and (through the
 * QueueWorker plugin) cron and "drush queue:run".
 *
 * A group is claimed at once, up to the bulk chunk size. Its creates go to
 * Graph together through the library's bulk path ($batch and its write
 * pacing: one round trip per 20 users instead of one per user); its other
 * items (updates, disables, deletes) follow one by one, so a user's later
 * item never overtakes its create. Every item keeps its own outcome: one
 * user's failure never fails another.
 *
 * The budget holds end to end: each call gets what is left of it as the
 * library call's deadline, so a long Retry-After is handed back (the item is
 * delayed by it) instead of being waited out in this process.
 */
final class QueueRunner {

  public function __construct(
    private ProvisioningQueueInterface $queue,
    private Provisioner $provisioner,
    private TimeInterface $clock,
    private LoggerInterface $logger
  ) {
  }

  /**
   * Below this much budget no item is started.
   */
  public const MIN_ITEM_SECONDS = 0.2;

  /**
   * @return array{claimed: int, done: int, failed: int, retry: int, blocked: int, invalid: int, review: int}
   */
  public function run(float $budgetSeconds, int $maxItems = 50, int $leaseSeconds = 120): array {
    $stats = self::emptyStats();
    $budgetSeconds = max(0.0, $budgetSeconds);
    $deadline = $this->clock->getCurrentMicroTime() + $budgetSeconds;
    $leaseSeconds = self::leaseFor($budgetSeconds, $leaseSeconds);
    while ($stats['claimed'] < $maxItems && $deadline - $this->clock->getCurrentMicroTime() >= self::MIN_ITEM_SECONDS) {
      $group = $this->claimGroup(min($maxItems - $stats['claimed'], $this->groupSize()), $leaseSeconds);
      if ($group === []) {
        break;
      }
      $stats['claimed'] += count($group);
      if (!$this->runGroup($group, $deadline, $stats)) {
        break;
      }
    }

    return $stats;
  }

  /**
   * The QueueWorker plugin's item, which core claimed and settles itself,
   * drained together with a group of the items after it.
   *
   * @return \Drupal\entra_provisioning\Provisioning\Outcome
   *   The outcome of $first (for the plugin to complete, delay or suspend).
   */
  public function runWithFollowers(QueueItem $first, ?float $budgetSeconds = NULL): Outcome {
    $budgetSeconds = $budgetSeconds ?? $this->provisioner->settings()->queueBudgetMs() / 1000;
    $deadline = $this->clock->getCurrentMicroTime() + $budgetSeconds;
    $followers = $first->op === QueueItem::OP_PROVISION ? $this->claimGroup($this->groupSize() - 1, self::leaseFor($budgetSeconds, 120)) : [];
    $stats = self::emptyStats();
    $outcome = NULL;
    $this->runGroup(array_merge([[NULL, $first]], $followers), $deadline, $stats, $outcome);

    return $outcome ?? new Outcome(Outcome::RETRY, 'The item was not run.', NULL, NULL, Provisioner::DEFAULT_RETRY_DELAY);
  }

  /**
   * How many items a group holds: the bulk chunk size of the settings.
   */
  private function groupSize(): int {
    return max(1, $this->provisioner->settings()->bulkChunkSize());
  }

  /**
   * The lease outlives the longest item, so no other worker claims it
   * meanwhile.
   */
  private static function leaseFor(float $budgetSeconds, int $leaseSeconds): int {
    return max($leaseSeconds, (int) ceil($budgetSeconds + Provisioner::LOCK_MARGIN));
  }

  /**
   * @return array{claimed: int, done: int, failed: int, retry: int, blocked: int, invalid: int, review: int}
   */
  private static function emptyStats(): array {
    return ['claimed' => 0, 'done' => 0, 'failed' => 0, 'retry' => 0, 'blocked' => 0, 'invalid' => 0, 'review' => 0];
  }

  /**
   * Claims up to $size items; malformed ones are dropped (logged) here.
   *
   * @return list<array{0: ClaimedItem, 1: QueueItem}>
   */
  private function claimGroup(int $size, int $leaseSeconds): array {
    $group = [];
    while (count($group) < $size && ($claimed = $this->queue->claim($leaseSeconds)) !== NULL) {
      try {
        $group[] = [$claimed, QueueItem::fromArray($claimed->data)];
      }
      catch (\InvalidArgumentException $e) {
        $this->logger->error('Dropped a malformed item of the @queue queue: @error', ['@queue' => ProvisioningQueueInterface::NAME, '@error' => $e->getMessage()]);
        $this->queue->complete($claimed);
      }
    }

    return $group;
  }

  /**
   * Runs a claimed group: creates together, then the other items in claim
   * order. An item without a claim (the plugin's, which core settles) only
   * has its outcome reported in $firstOutcome.
   *
   * @param list<array{0: ?ClaimedItem, 1: QueueItem}> $group
   * @param array<string, int> $stats
   *
   * @return bool
   *   False when the run should stop: the queue is suspended (the rest of
   *   the group was released), or nothing of the group finished and Graph
   *   handed work back (it asks to wait longer than the budget left, so
   *   claiming more now would only hand that back too). A group whose items
   *   only wait for earlier items of their users does not stop the run.
   */
  private function runGroup(array $group, float $deadline, array &$stats, ?Outcome &$firstOutcome = NULL): bool {
    // A user's first create joins the bulk call; a later item of the same
    // user (a second create included) runs after it, in claim order.
    $creates = [];
    $seen = [];
    foreach ($group as $i => [, $item]) {
      if ($item->op === QueueItem::OP_PROVISION && !isset($seen[$item->uid])) {
        $creates[$i] = $group[$i];
      }
      $seen[$item->uid] = TRUE;
    }
    $outcomes = [];
    if ($creates !== []) {
      try {
        $results = $this->provisioner->processCreates(array_values(array_map(static fn (array $entry): QueueItem => $entry[1], $creates)), $this->left($deadline));
        $outcomes = array_combine(array_keys($creates), $results);
      }
      catch (\Throwable $e) {
        foreach ($creates as $i => [, $item]) {
          $outcomes[$i] = $this->unexpected($item, $e);
        }
      }
    }
    $suspended = FALSE;
    foreach ($group as $i => [$claimed, $item]) {
      if (!isset($outcomes[$i])) {
        if ($suspended) {
          $outcomes[$i] = new Outcome(Outcome::BLOCKED, 'The queue is suspended.');
        }
        elseif ($deadline - $this->clock->getCurrentMicroTime() < self::MIN_ITEM_SECONDS) {
          // The budget is spent: the item goes back to the queue untouched.
          $outcomes[$i] = new Outcome(Outcome::RETRY, 'Left for the next run.', NULL, NULL, 0);
        }
        else {
          try {
            $outcomes[$i] = $this->provisioner->process($item, $this->left($deadline));
          }
          catch (\Throwable $e) {
            $outcomes[$i] = $this->unexpected($item, $e);
          }
        }
      }
      $outcome = $outcomes[$i];
      $suspended = $suspended || $outcome->status === Outcome::BLOCKED;
      if ($claimed === NULL) {
        $firstOutcome = $outcome;
        continue;
      }
      $this->settle($claimed, $outcome, $stats);
    }

    $finished = array_filter($outcomes, static fn (Outcome $o): bool => $o->removesItem());
    $handedBack = array_filter($outcomes, static fn (Outcome $o): bool => $o->status === Outcome::RETRY && $o->error !== NULL);

    return !$suspended && ($finished !== [] || $handedBack === []);
  }

  /**
   * What is left of the budget for the next call, at least MIN_ITEM_SECONDS.
   */
  private function left(float $deadline): float {
    return max(self::MIN_ITEM_SECONDS, $deadline - $this->clock->getCurrentMicroTime());
  }

  /**
   * A failure outside the rules (a bug, a storage error): the item stays
   * queued for a later run rather than being lost.
   */
  private function unexpected(QueueItem $item, \Throwable $e): Outcome {
    $this->logger->error('Processing @op of uid @uid failed unexpectedly; it stays queued: @error', ['@op' => $item->op, '@uid' => $item->uid, '@error' => $e->getMessage()]);

    return new Outcome(Outcome::RETRY, 'Failed unexpectedly.', NULL, NULL, Provisioner::DEFAULT_RETRY_DELAY);
  }

  /**
   * Completes, delays or releases a claimed item by its outcome.
   *
   * @param array<string, int> $stats
   */
  private function settle(ClaimedItem $claimed, Outcome $outcome, array &$stats): void {
    switch ($outcome->status) {
      case Outcome::DONE:
      case Outcome::FAILED:
      case Outcome::REVIEW:
        $this->queue->complete($claimed);
        $stats[$outcome->status]++;
        break;

      case Outcome::RETRY:
        $this->queue->delay($claimed, $outcome->delaySeconds);
        $stats['retry']++;
        break;

      default:
        // Suspended: the item stays available (QueueSuspension holds the
        // queue back), so a fix releases it at once.
        $this->queue->release($claimed);
        $stats['blocked']++;
    }
  }

}
