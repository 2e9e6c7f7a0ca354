<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * What happened to one unit of provisioning work, and what the queue does next.
 */
final class Outcome {

  /**
   * Done (created, linked or nothing to do): remove the item.
   */
  public const DONE = 'done';

  /**
   * Permanent failure for this user: recorded as failed, remove the item.
   */
  public const FAILED = 'failed';

  /**
   * Throttled or transient: keep the item, retry after delaySeconds.
   */
  public const RETRY = 'retry';

  /**
   * A create met an existing Entra account: a pending match waits for an
   * admin (recorded; the item is done).
   */
  public const REVIEW = 'review';

  /**
   * The whole queue cannot progress (configuration, credentials,
   * permission, library): keep the item and stop this run.
   */
  public const BLOCKED = 'blocked';

  public readonly int $delaySeconds;

  /**
   * @param array<string, mixed>|null $result
   * @param array<string, mixed>|null $error
   */
  public function __construct(
    public readonly string $status,
    public readonly string $message,
    /**
     * The library result on success.
     *
     * @var array<string, mixed>|null
     */
    public readonly ?array $result = NULL,
    /**
     * ResultFormatter::describeError() of the failure.
     *
     * @var array<string, mixed>|null
     */
    public readonly ?array $error = NULL,
    int $delaySeconds = 0
  ) {
    if (!in_array($status, [self::DONE, self::FAILED, self::RETRY, self::BLOCKED, self::REVIEW], TRUE)) {
      throw new \InvalidArgumentException(sprintf('Unknown outcome "%s".', $status));
    }
    $this->delaySeconds = max(0, $delaySeconds);
  }

  public function isDone(): bool {
    return $this->status === self::DONE;
  }

  /**
   * Whether the queue item is finished (done, waiting for an admin's
   * review, or permanently failed).
   */
  public function removesItem(): bool {
    return in_array($this->status, [self::DONE, self::FAILED, self::REVIEW], TRUE);
  }

}
