<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning;

use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\QueueItem;
use PHPUnit\Framework\TestCase;

final class QueueItemTest extends TestCase {

  public function testRoundTrip(): void {
    foreach (QueueItem::OPS as $op) {
      $item = new QueueItem($op, 7, 1700000000);
      $this->assertSame(['op' => $op, 'uid' => 7, 'enqueued_at' => 1700000000], $item->toArray());
      $this->assertEquals($item, QueueItem::fromArray($item->toArray()));
    }
    $this->assertSame(8, QueueItem::fromArray(['op' => 'provision', 'uid' => '8'])->uid);
  }

  /**
   * @return array<string, array{0: mixed}>
   */
  public function malformed(): array {
    return [
      'not an array' => ['provision:1'],
      'unknown op' => [['op' => 'rename', 'uid' => 1]],
      'no uid' => [['op' => 'provision']],
      'zero uid' => [['op' => 'provision', 'uid' => 0]],
      'float uid' => [['op' => 'provision', 'uid' => 1.5]],
      'groups not a list' => [['op' => 'memberships', 'uid' => 3, 'groups' => 'g1']],
    ];
  }

  /**
   * @dataProvider malformed
   *
   * @param mixed $data
   */
  public function testMalformedDataIsRejected($data): void {
    $this->expectException(\InvalidArgumentException::class);
    QueueItem::fromArray($data);
  }

  public function testAMembershipsItemCarriesItsGroupsThroughTheQueue(): void {
    $item = new QueueItem(QueueItem::OP_MEMBERSHIPS, 3, 100, 4, NULL, FALSE, NULL, ['add' => ['g1', '', 7], 'remove' => ['g2']]);
    $this->assertSame(['add' => ['g1'], 'remove' => ['g2']], $item->groups);
    $data = $item->toArray();
    $this->assertSame(['add' => ['g1'], 'remove' => ['g2']], $data['groups']);
    $this->assertEquals($item, QueueItem::fromArray($data));
    $this->assertArrayNotHasKey('groups', (new QueueItem(QueueItem::OP_UPDATE, 3, 100))->toArray(), 'other items keep their format');
  }

  public function testLinkRecordTransitionsKeepTheLink(): void {
    $ok = LinkRecord::succeeded(NULL, 3, 'created', 'oid', 'u@c.com', 'r1', 100);
    $pending = LinkRecord::pending($ok, 3, 'update', 200);
    $this->assertSame('oid', $pending->entraId);
    $this->assertSame(100, $pending->created);
    $this->assertSame(LinkRecord::RESULT_PENDING, $pending->lastResult);
    $failed = LinkRecord::failedAttempt($pending, 3, 'update', LinkRecord::RESULT_FAILED, 'Request_BadRequest', str_repeat('x', 2000), 'r2', 300);
    $this->assertSame('oid', $failed->entraId);
    $this->assertSame(1024, strlen((string) $failed->lastErrorMessage));
    $this->assertEquals($failed, LinkRecord::fromArray($failed->toArray()));
    $this->expectException(\InvalidArgumentException::class);
    new LinkRecord(1, NULL, NULL, 'x', 'done', NULL, NULL, NULL, 0, 0);
  }

}
