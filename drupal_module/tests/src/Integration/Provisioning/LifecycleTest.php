<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\EchoGuard;
use Drupal\entra_provisioning\Provisioning\EntraNativeFactory;
use Drupal\entra_provisioning\Provisioning\Lifecycle;
use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\AccountWriter;
use Drupal\entra_provisioning\Provisioning\IdentityMatcher;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\QueueSuspension;
use Drupal\entra_provisioning\Provisioning\RemovalGuard;
use Drupal\entra_provisioning\Provisioning\QueueItem;
use Drupal\entra_provisioning\Provisioning\ResultFormatter;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayConfigSource;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeClock;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeLock;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeNativeFactory;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryAccountStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryLinkStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryMatchStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryRemovalStore;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQueue;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryState;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryUserSource;
use Psr\Log\Test\TestLogger;
use Drupal\entra_provisioning\Provisioning\QuotaWorkers;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryQuotaWorkerRegistry;

require_once dirname(__DIR__, 3) . '/bootstrap-psr.php';

/**
 * Which Drupal event queues which operation, by the settings of step 3, and
 * the per-user sequence numbers of the queued items. No library needed: the
 * lifecycle never calls Graph.
 */
final class LifecycleTest extends NativeTestCase {

  private ArrayConfigSource $source;

  private InMemoryLinkStore $links;

  private InMemoryQueue $queue;

  private EchoGuard $guard;

  private Lifecycle $lifecycle;

  private TestLogger $logger;

  private FakeNativeFactory $natives;

  protected function setUp(): void {
    // Which operation a save needs is the library's rule: asked for real.
    $this->source = new ArrayConfigSource(ArrayConfigSource::defaults(['provisioning' => ['auto_create' => TRUE], 'mapping' => ['properties' => [['field' => 'field_job', 'property' => 'jobTitle']]]]), ['library' => $this->libraryPath(), 'header' => $this->headerPath()]);
    $this->links = new InMemoryLinkStore();
    $clock = new FakeClock(1700000000.0);
    $this->queue = new InMemoryQueue($clock);
    $this->guard = new EchoGuard();
    $this->logger = new TestLogger();
    $natives = new FakeNativeFactory();
    $natives->library = new EntraNativeFactory();
    $this->natives = $natives;
    $clients = new ClientFactory($this->source, new InMemoryState(), new FakeKeyRepository(), $natives);
    $users = new InMemoryUserSource();
    $accounts = new InMemoryAccountStore();
    $state = new InMemoryState();
    $matcher = new IdentityMatcher($clients, $this->links, new InMemoryMatchStore(), $users, $accounts, new AccountWriter($accounts), $this->guard, $clock, $this->logger);
    $provisioner = new Provisioner($clients, $this->links, $users, $this->queue, new FakeLock(), $state, $clock, new ResultFormatter(), $this->logger, $matcher, new RemovalGuard($clients, new InMemoryRemovalStore(), $clock, $this->logger), new QueueSuspension($state, $clock, $this->logger), new QuotaWorkers(new InMemoryQuotaWorkerRegistry($clock)));
    $this->lifecycle = new Lifecycle($provisioner, $this->links, $this->guard, $this->logger);
  }

  /**
   * @param array<string, mixed> $overrides
   */
  private function settings(array $overrides = []): ModuleSettings {
    return new ModuleSettings(array_replace_recursive($this->source->config, $overrides));
  }

  /**
   * @param array<string, mixed> $overrides
   *
   * @return array<string, mixed>
   */
  private static function account(array $overrides = []): array {
    return array_replace(['uid' => 7, 'name' => 'jdoe', 'mail' => 'jdoe@example.com', 'status' => 1, 'roles' => ['authenticated'], 'fields' => ['field_job' => 'Engineer', 'field_unmapped' => 'x']], $overrides);
  }

  private function linked(int $uid, string $entraId = 'oid-7'): void {
    $this->links->save(LinkRecord::succeeded(NULL, $uid, 'created', $entraId, 'jdoe@contoso.onmicrosoft.com', 'r-1', 1));
  }

  /**
   * @return list<array<string, mixed>>
   */
  private function queued(): array {
    return $this->queue->data();
  }

  /**
   * @return array<string, array{0: array<string, mixed>, 1: ?array<string, mixed>, 2: array<string, mixed>, 3: ?string}>
   */
  public function updateCases(): array {
    $off = ['lifecycle' => ['update' => FALSE]];
    $sync = ['lifecycle' => ['sync_status' => TRUE]];
    $syncOnly = ['lifecycle' => ['update' => FALSE, 'sync_status' => TRUE]];

    return [
      'nothing changed' => [[], self::account(), self::account(), NULL],
      'name changed' => [[], self::account(), self::account(['name' => 'john']), QueueItem::OP_UPDATE],
      // Drupal does not verify a changed address: it reaches Entra only with mail sync on.
      'mail changed' => [[], self::account(), self::account(['mail' => 'john@example.com']), NULL],
      'mail changed, mail sync on' => [['lifecycle' => ['sync_mail' => TRUE]], self::account(), self::account(['mail' => 'john@example.com']), QueueItem::OP_UPDATE],
      'mapped field changed' => [[], self::account(), self::account(['fields' => ['field_job' => 'CTO', 'field_unmapped' => 'x']]), QueueItem::OP_UPDATE],
      'mapped field emptied' => [[], self::account(), self::account(['fields' => ['field_unmapped' => 'x']]), QueueItem::OP_UPDATE],
      'unmapped field changed' => [[], self::account(), self::account(['fields' => ['field_job' => 'Engineer', 'field_unmapped' => 'y']]), NULL],
      'roles changed' => [[], self::account(), self::account(['roles' => ['authenticated', 'editor']]), NULL],
      'name changed, update off' => [$off, self::account(), self::account(['name' => 'john']), NULL],
      'blocked, status sync off' => [[], self::account(), self::account(['status' => 0]), NULL],
      'blocked, status sync on' => [$sync, self::account(), self::account(['status' => 0]), QueueItem::OP_UPDATE],
      'unblocked, status sync on' => [$sync, self::account(['status' => 0]), self::account(), QueueItem::OP_UPDATE],
      'blocked, only status sync on' => [$syncOnly, self::account(), self::account(['status' => 0]), QueueItem::OP_DISABLE],
      'unblocked, only status sync on' => [$syncOnly, self::account(['status' => 0]), self::account(), QueueItem::OP_ENABLE],
      'renamed, only status sync on' => [$syncOnly, self::account(), self::account(['name' => 'john']), NULL],
      'no original' => [[], NULL, self::account(), QueueItem::OP_UPDATE],
      'direction off' => [['direction' => ['drupal_to_entra' => FALSE]], self::account(), self::account(['name' => 'john']), NULL],
    ];
  }

  /**
   * @dataProvider updateCases
   *
   * @param array<string, mixed> $config
   * @param array<string, mixed>|null $before
   * @param array<string, mixed> $after
   */
  public function testWhichOperationAnUpdateQueues(array $config, ?array $before, array $after, ?string $expected): void {
    $this->assertSame($expected, $this->lifecycle->decideUpdate($this->settings($config), $before, $after));
  }

  public function testAnUpdateOfALinkedAccountIsQueuedWithTheNextSequence(): void {
    $this->linked(7);
    $this->assertTrue($this->lifecycle->onUpdate(7, 'john', self::account(), self::account(['name' => 'john'])));
    $this->assertSame([['op' => 'update', 'uid' => 7, 'enqueued_at' => 1700000000, 'seq' => 1, 'entra_id' => 'oid-7']], $this->queued());
    $this->assertSame(1, $this->links->load(7)->queuedSeq);
    $this->assertSame(LinkRecord::RESULT_PENDING, $this->links->load(7)->lastResult);
    $this->assertSame('oid-7', $this->links->load(7)->entraId, 'queueing keeps the link');
  }

  public function testTheSaveAsksTheLibraryAndAnUnanswerableQuestionStillQueuesTheUpdate(): void {
    $this->linked(7);
    $this->assertFalse($this->lifecycle->onUpdate(7, 'jdoe', self::account(), self::account(['fields' => ['field_job' => 'Engineer', 'field_unmapped' => 'changed']])));
    $question = end($this->natives->questions);
    $this->assertSame('user_update', $question['decide']);
    $this->assertSame(['field_job' => 'jobTitle'], $question['mapping']['properties']);
    $this->assertSame([], $this->queued(), 'an unmapped field needs nothing');

    // The library cannot be asked: the change is kept, not lost.
    $this->natives->library = NULL;
    $this->assertTrue($this->lifecycle->onUpdate(7, 'jdoe', self::account(), self::account(['fields' => ['field_job' => 'Engineer', 'field_unmapped' => 'again']])));
    $this->assertSame('update', $this->queued()[0]['op']);
    $this->assertTrue($this->logger->hasWarningThatContains('queued an update'));
  }

  public function testNothingIsQueuedForAnAccountThatNeverReachedEntra(): void {
    $this->assertFalse($this->lifecycle->onUpdate(7, 'john', self::account(), self::account(['name' => 'john'])));
    $this->source->config['lifecycle']['on_delete'] = 'delete';
    $this->assertFalse($this->lifecycle->onDelete(7, 'jdoe'));
    $this->assertSame([], $this->queued());
    // A failed provision, nothing queued any more: nothing to update either.
    $this->links->save(LinkRecord::failedAttempt(NULL, 7, 'provision', LinkRecord::RESULT_FAILED, 'validation', 'bad name', NULL, 1));
    $this->assertFalse($this->lifecycle->onUpdate(7, 'john', self::account(), self::account(['name' => 'john'])));
    $this->assertSame([], $this->queued());
  }

  public function testAnUpdateWhileTheCreateIsPendingIsQueuedBehindIt(): void {
    $this->assertTrue($this->lifecycle->onInsert(7, 'jdoe'));
    $this->assertTrue($this->lifecycle->onUpdate(7, 'john', self::account(), self::account(['name' => 'john'])));
    $this->source->config['lifecycle']['on_delete'] = 'delete';
    $this->assertTrue($this->lifecycle->onDelete(7, 'john'));
    $items = $this->queued();
    $this->assertSame(['provision', 'update', 'delete'], array_column($items, 'op'));
    $this->assertSame([1, 2, 3], array_column($items, 'seq'));
    // Not linked yet: the delete carries no object id and finds it in
    // the link record once the create (seq 1) has run.
    $this->assertArrayNotHasKey('entra_id', $items[2]);
    $this->assertSame(3, $this->links->load(7)->queuedSeq);
    $this->assertSame(0, $this->links->load(7)->doneSeq);
  }

  /**
   * @return array<string, array{0: string, 1: ?string}>
   */
  public function policies(): array {
    return [
      'none' => [ModuleSettings::POLICY_NONE, NULL],
      'disable' => [ModuleSettings::POLICY_DISABLE, QueueItem::OP_DISABLE],
      'delete' => [ModuleSettings::POLICY_DELETE, QueueItem::OP_DELETE],
    ];
  }

  /**
   * @dataProvider policies
   */
  public function testCancelPolicy(string $policy, ?string $op): void {
    $this->source->config['lifecycle']['on_cancel'] = $policy;
    $this->linked(7);
    $this->assertSame($op !== NULL, $this->lifecycle->onCancel(7, 'jdoe', 'user_cancel_block'));
    $this->assertSame($op !== NULL ? [['op' => $op, 'uid' => 7, 'enqueued_at' => 1700000000, 'seq' => 1, 'entra_id' => 'oid-7']] : [], $this->queued());
    $this->assertNotNull($this->links->load(7), 'a cancelled account keeps its link');
  }

  /**
   * @dataProvider policies
   */
  public function testDeletePolicy(string $policy, ?string $op): void {
    $this->source->config['lifecycle']['on_delete'] = $policy;
    $this->linked(7);
    $this->assertSame($op !== NULL, $this->lifecycle->onDelete(7, 'jdoe'));
    if ($op === NULL) {
      $this->assertSame([], $this->queued());
      $this->assertNull($this->links->load(7), 'nothing in Drupal links to the Entra account any more');
    }
    else {
      // The object id travels with the item: the account is gone.
      $this->assertSame([['op' => $op, 'uid' => 7, 'enqueued_at' => 1700000000, 'seq' => 1, 'entra_id' => 'oid-7']], $this->queued());
      $this->assertSame('oid-7', $this->links->load(7)->entraId);
    }
  }

  public function testCancelMethodsThatDeleteAreLeftToTheDeleteHook(): void {
    $this->source->config['lifecycle']['on_cancel'] = 'delete';
    $this->linked(7);
    $this->assertFalse($this->lifecycle->onCancel(7, 'jdoe', 'user_cancel_reassign'));
    $this->assertFalse($this->lifecycle->onCancel(7, 'jdoe', 'user_cancel_delete'));
    $this->assertSame([], $this->queued());
    $this->assertTrue($this->lifecycle->onCancel(7, 'jdoe', 'user_cancel_block_unpublish'));
  }

  public function testPoliciesAreOffByDefaultExceptUpdate(): void {
    $defaults = new ModuleSettings(ArrayConfigSource::defaults());
    $this->assertTrue($defaults->updateOnChange());
    $this->assertFalse($defaults->syncStatus());
    $this->assertSame('none', $defaults->cancelPolicy());
    $this->assertSame('none', $defaults->deletePolicy());
    $this->assertFalse($defaults->autoCreate());
  }

  public function testNothingIsQueuedWhileTheImportWritesAccounts(): void {
    $this->linked(7);
    $this->source->config['lifecycle']['on_delete'] = 'delete';
    $this->source->config['lifecycle']['on_cancel'] = 'disable';
    $this->guard->suppress(function (): void {
      $this->assertFalse($this->lifecycle->onInsert(8, 'imported'));
      $this->assertFalse($this->lifecycle->onUpdate(7, 'john', self::account(), self::account(['name' => 'john'])));
      $this->assertFalse($this->lifecycle->onCancel(7, 'john', 'user_cancel_block'));
      $this->assertFalse($this->lifecycle->onDelete(7, 'john'));
    });
    $this->assertSame([], $this->queued());
    $this->assertFalse($this->guard->isSuppressed());
    // The same events outside the import queue work.
    $this->assertTrue($this->lifecycle->onUpdate(7, 'john', self::account(), self::account(['name' => 'john'])));
    $this->assertCount(1, $this->queued());
  }

  public function testAFailingQueueGivesTheSequenceNumberBack(): void {
    $this->linked(7);
    $this->queue->failEnqueue = TRUE;
    $this->assertFalse($this->lifecycle->onUpdate(7, 'john', self::account(), self::account(['name' => 'john'])));
    $this->assertSame(0, $this->links->load(7)->queuedSeq, 'no gap that later items would wait on');
    $this->assertTrue($this->logger->hasErrorThatContains('Could not queue'));
    $this->assertTrue($this->lifecycle->onUpdate(7, 'john', self::account(), self::account(['name' => 'john'])));
    $this->assertSame(1, $this->queued()[0]['seq']);
  }

  public function testQueueItemsRoundTripTheirSequenceAndObjectId(): void {
    $item = new QueueItem(QueueItem::OP_DELETE, 7, 5, 3, 'oid-7');
    $this->assertEquals($item, QueueItem::fromArray($item->toArray()));
    $this->assertSame(3, QueueItem::fromArray(['op' => 'delete', 'uid' => 7, 'seq' => '3'])->seq);
    $this->expectException(\InvalidArgumentException::class);
    QueueItem::fromArray(['op' => 'delete', 'uid' => 7, 'entra_id' => 5]);
  }

}
