<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\Component\Datetime\TimeInterface;
use Psr\Log\LoggerInterface;

/**
 * Works the queue for a bounded time (used right after the response).
 *
 * Cron and "drush queue:run" use the QueueWorker plugin instead; both paths
 * run each item through Provisioner::process(), so the outcome is the same.
 * The budget holds end to end: each item gets what is left of it as the
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
    $stats = ['claimed' => 0, 'done' => 0, 'failed' => 0, 'retry' => 0, 'blocked' => 0, 'invalid' => 0, 'review' => 0];
    $budgetSeconds = max(0.0, $budgetSeconds);
    $deadline = $this->clock->getCurrentMicroTime() + $budgetSeconds;
    // The lease outlives the longest item, so no other worker claims it meanwhile.
    $leaseSeconds = max($leaseSeconds, (int) ceil($budgetSeconds + Provisioner::LOCK_MARGIN));
    while ($stats['claimed'] < $maxItems && $deadline - $this->clock->getCurrentMicroTime() >= self::MIN_ITEM_SECONDS) {
      $claimed = $this->queue->claim($leaseSeconds);
      if ($claimed === NULL) {
        break;
      }
      $stats['claimed']++;
      try {
        $item = QueueItem::fromArray($claimed->data);
      }
      catch (\InvalidArgumentException $e) {
        $this->logger->error('Dropped a malformed item of the @queue queue: @error', ['@queue' => ProvisioningQueueInterface::NAME, '@error' => $e->getMessage()]);
        $this->queue->complete($claimed);
        $stats['invalid']++;
        continue;
      }
      try {
        $outcome = $this->provisioner->process($item, max(self::MIN_ITEM_SECONDS, $deadline - $this->clock->getCurrentMicroTime()));
      }
      catch (\Throwable $e) {
        // Leave the item for a later run (cron) rather than losing it.
        $this->logger->error('Processing @op of uid @uid failed unexpectedly; it stays queued: @error', ['@op' => $item->op, '@uid' => $item->uid, '@error' => $e->getMessage()]);
        $this->queue->delay($claimed, Provisioner::DEFAULT_RETRY_DELAY);
        $stats['retry']++;
        continue;
      }
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
          // Suspended: the item stays available (QueueSuspension
          // holds the queue back), so a fix releases it at once.
          $this->queue->release($claimed);
          $stats['blocked']++;

          return $stats;
      }
    }

    return $stats;
  }

}
