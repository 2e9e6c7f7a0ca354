<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * One unit of work in the entra_provisioning_user queue.
 *
 * Serialized as {op, uid, enqueued_at, seq?, entra_id?, released?,
 * provenance?, groups?: {add, remove}}. Items carry the uid
 * (and, for disable/delete, the Entra object id known when the event
 * happened: the Drupal account may be gone when the item runs). The worker
 * reads the account as it is when the item is processed, so a late item
 * converges on the current Drupal state instead of replaying stale data.
 *
 * "seq" is the per-user sequence number given by
 * LinkStoreInterface::reserveSequence(): an item runs only after every
 * earlier item of the same user has finished, whatever order the queue
 * backend hands them out in. 0 means "not ordered" (items queued by an older
 * version of the module).
 */
final class QueueItem {

  public const OP_PROVISION = 'provision';
  public const OP_UPDATE = 'update';
  public const OP_DISABLE = 'disable';
  public const OP_ENABLE = 'enable';
  public const OP_DELETE = 'delete';

  /**
   * Adds the Entra user to, or removes it from, the groups its Drupal roles
   * map to (the library's membership_changes answer, carried in "groups").
   */
  public const OP_MEMBERSHIPS = 'memberships';

  /**
   * Every operation the queue format knows.
   */
  public const OPS = [self::OP_PROVISION, self::OP_UPDATE, self::OP_DISABLE, self::OP_ENABLE, self::OP_DELETE, self::OP_MEMBERSHIPS];

  /**
   * For OP_MEMBERSHIPS: group ids to add the user to, and to remove it from.
   *
   * @var array{add: list<string>, remove: list<string>}
   */
  public readonly array $groups;

  public readonly ?string $entraId;

  /**
   * The provenance of the link when the item was queued (with entraId):
   * the link may be gone when a delete runs.
   */
  public readonly ?string $provenance;

  public function __construct(
    public readonly string $op,
    public readonly int $uid,
    public readonly int $enqueuedAt,
    public readonly int $seq = 0,
    ?string $entraId = NULL,
    /**
     * A disable or delete an admin released from the accidental-deletion
     * hold: it is not counted against the threshold again.
     */
    public readonly bool $released = FALSE,
    ?string $provenance = NULL,
    array $groups = []
  ) {
    if (!in_array($op, self::OPS, TRUE)) {
      throw new \InvalidArgumentException(sprintf('Unknown queue operation "%s" (expected one of %s).', $op, implode(', ', self::OPS)));
    }
    if ($uid <= 0) {
      throw new \InvalidArgumentException(sprintf('A queue item needs a positive uid, got %d.', $uid));
    }
    if ($seq < 0) {
      throw new \InvalidArgumentException(sprintf('A queue item sequence cannot be negative, got %d.', $seq));
    }
    $this->entraId = $entraId === '' ? NULL : $entraId;
    $this->provenance = $this->entraId === NULL || $provenance === '' ? NULL : $provenance;
    $this->groups = [
      'add' => self::ids($groups['add'] ?? []),
      'remove' => self::ids($groups['remove'] ?? []),
    ];
  }

  /**
   * @return array{op: string, uid: int, enqueued_at: int, seq?: int, entra_id?: string, released?: bool, provenance?: string, groups?: array{add: list<string>, remove: list<string>}}
   */
  public function toArray(): array {
    $data = ['op' => $this->op, 'uid' => $this->uid, 'enqueued_at' => $this->enqueuedAt];
    if ($this->seq > 0) {
      $data['seq'] = $this->seq;
    }
    if ($this->entraId !== NULL) {
      $data['entra_id'] = $this->entraId;
    }
    if ($this->released) {
      $data['released'] = TRUE;
    }
    if ($this->provenance !== NULL) {
      $data['provenance'] = $this->provenance;
    }
    if ($this->groups['add'] !== [] || $this->groups['remove'] !== []) {
      $data['groups'] = $this->groups;
    }

    return $data;
  }

  /**
   * Parses the data of a claimed queue item.
   *
   * @param mixed $data
   *
   * @throws \InvalidArgumentException
   *   When the data is not a queue item of this module.
   */
  public static function fromArray($data): self {
    if (!is_array($data)) {
      throw new \InvalidArgumentException('A queue item must be an array, got ' . get_debug_type($data) . '.');
    }
    $op = $data['op'] ?? NULL;
    $uid = self::int($data['uid'] ?? NULL);
    $at = $data['enqueued_at'] ?? 0;
    $seq = self::int($data['seq'] ?? 0);
    $entraId = $data['entra_id'] ?? NULL;
    if (!is_string($op)) {
      throw new \InvalidArgumentException('A queue item needs a string "op".');
    }
    if (!is_int($uid)) {
      throw new \InvalidArgumentException('A queue item needs an integer "uid".');
    }
    if (!is_int($seq)) {
      throw new \InvalidArgumentException('The "seq" of a queue item must be an integer.');
    }
    if ($entraId !== NULL && !is_string($entraId)) {
      throw new \InvalidArgumentException('The "entra_id" of a queue item must be a string.');
    }

    $provenance = $data['provenance'] ?? NULL;

    $groups = $data['groups'] ?? [];
    if (!is_array($groups)) {
      throw new \InvalidArgumentException('The "groups" of a queue item must be an array.');
    }

    return new self($op, $uid, is_int($at) ? $at : 0, $seq, $entraId, ($data['released'] ?? FALSE) === TRUE, is_string($provenance) ? $provenance : NULL, $groups);
  }

  /**
   * @param mixed $list
   *
   * @return list<string>
   */
  private static function ids($list): array {
    return is_array($list) ? array_values(array_filter($list, static fn ($id): bool => is_string($id) && $id !== '')) : [];
  }

  /**
   * @param mixed $value
   *
   * @return mixed
   *   An int for integers and digit strings, the value otherwise.
   */
  private static function int($value) {
    return is_string($value) && ctype_digit($value) ? (int) $value : $value;
  }

}
