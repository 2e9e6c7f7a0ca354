<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * One removal watched by the accidental-deletion prevention (table
 * entra_provisioning_removal).
 *
 * Entra -> Drupal: the import "collects" the removals of a round and applies
 * them when the round completes, unless there are more than the threshold;
 * then they are all "held" until an admin releases them. Drupal -> Entra:
 * every disable or delete sent to Entra is recorded "done"; once the
 * threshold is reached within an hour, the excess is "held".
 */
final class HeldRemoval {

  public const COLLECTED = 'collected';
  public const HELD = 'held';
  public const DONE = 'done';

  public const STATUSES = [self::COLLECTED, self::HELD, self::DONE];

  public readonly ?string $entraId;

  public function __construct(
    public readonly int $id,
    public readonly string $direction,
    public readonly int $uid,
    ?string $entraId,
    /**
     * Entra -> Drupal: the removal reason Graph gave ("changed": soft
     * deleted, "deleted": gone for good). Drupal -> Entra: the queue
     * operation ("disable" or "delete").
     */
    public readonly string $action,
    public readonly string $status,
    public readonly int $created,
    public readonly int $changed
  ) {
    if (!in_array($status, self::STATUSES, TRUE)) {
      throw new \InvalidArgumentException(sprintf('Unknown removal status "%s".', $status));
    }
    $this->entraId = $entraId === '' ? NULL : $entraId;
  }

  /**
   * @param array<string, mixed> $row
   */
  public static function fromRow(array $row): self {
    return new self(
      (int) ($row['id'] ?? 0),
      (string) $row['direction'],
      (int) $row['uid'],
      isset($row['entra_id']) ? (string) $row['entra_id'] : NULL,
      (string) $row['action'],
      (string) $row['status'],
      (int) ($row['created'] ?? 0),
      (int) ($row['changed'] ?? 0)
    );
  }

}
