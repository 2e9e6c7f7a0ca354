<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * One unit of work in the entra_provisioning_user queue.
 *
 * Serialized as {op, uid, enqueued_at}. Items carry only the uid: the worker
 * reads the account as it is when the item is processed, so a late item
 * converges on the current Drupal state instead of replaying stale data.
 */
final class QueueItem
{
    public const OP_PROVISION = 'provision';
    public const OP_UPDATE = 'update';
    public const OP_DISABLE = 'disable';
    public const OP_DELETE = 'delete';

    /**
     * Every operation the queue format knows (the lifecycle issue adds the
     * handlers for update/disable/delete).
     */
    public const OPS = [self::OP_PROVISION, self::OP_UPDATE, self::OP_DISABLE, self::OP_DELETE];

    public readonly string $op;

    public readonly int $uid;

    public readonly int $enqueuedAt;

    public function __construct(string $op, int $uid, int $enqueuedAt)
    {
        if (!in_array($op, self::OPS, true)) {
            throw new \InvalidArgumentException(sprintf('Unknown queue operation "%s" (expected one of %s).', $op, implode(', ', self::OPS)));
        }
        if ($uid <= 0) {
            throw new \InvalidArgumentException(sprintf('A queue item needs a positive uid, got %d.', $uid));
        }
        $this->op = $op;
        $this->uid = $uid;
        $this->enqueuedAt = $enqueuedAt;
    }

    /**
     * @return array{op: string, uid: int, enqueued_at: int}
     */
    public function toArray(): array
    {
        return ['op' => $this->op, 'uid' => $this->uid, 'enqueued_at' => $this->enqueuedAt];
    }

    /**
     * Parses the data of a claimed queue item.
     *
     * @param mixed $data
     *
     * @throws \InvalidArgumentException
     *   When the data is not a queue item of this module.
     */
    public static function fromArray($data): self
    {
        if (!is_array($data)) {
            throw new \InvalidArgumentException('A queue item must be an array, got ' . get_debug_type($data) . '.');
        }
        $op = $data['op'] ?? null;
        $uid = $data['uid'] ?? null;
        $at = $data['enqueued_at'] ?? 0;
        if (!is_string($op)) {
            throw new \InvalidArgumentException('A queue item needs a string "op".');
        }
        if (is_string($uid) && ctype_digit($uid)) {
            $uid = (int) $uid;
        }
        if (!is_int($uid)) {
            throw new \InvalidArgumentException('A queue item needs an integer "uid".');
        }

        return new self($op, $uid, is_int($at) ? $at : 0);
    }
}
