<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Controller;

use Drupal\Core\Controller\ControllerBase;
use Drupal\Core\Link;
use Drupal\Core\Url;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\ConnectionFields;
use Drupal\entra_provisioning\Provisioning\IdentityMatcher;
use Drupal\entra_provisioning\Provisioning\Importer;
use Drupal\entra_provisioning\Provisioning\LinkStoreInterface;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\ProvisioningQueueInterface;
use Drupal\entra_provisioning\Provisioning\QueueSuspension;
use Drupal\entra_provisioning\Provisioning\RemovalGuard;
use Drupal\entra_provisioning\Provisioning\ResultFormatter;
use Symfony\Component\DependencyInjection\ContainerInterface;

/**
 * The overview page and the "Test result" page.
 */
final class OverviewController extends ControllerBase {

  public function __construct(
    protected ClientFactory $clients,
    protected Provisioner $provisioner,
    protected LinkStoreInterface $links,
    protected ProvisioningQueueInterface $queue,
    protected ResultFormatter $formatter,
    protected Importer $importer,
    protected IdentityMatcher $matcher,
    protected RemovalGuard $removals,
    protected QueueSuspension $suspension
  ) {
  }

  /**
   * {@inheritdoc}
   */
  public static function create(ContainerInterface $container) {
    return new static(
      $container->get('entra_provisioning.client_factory'),
      $container->get('entra_provisioning.provisioner'),
      $container->get('entra_provisioning.link_store'),
      $container->get('entra_provisioning.queue'),
      $container->get('entra_provisioning.result_formatter'),
      $container->get('entra_provisioning.importer'),
      $container->get('entra_provisioning.identity_matcher'),
      $container->get('entra_provisioning.removal_guard'),
      $container->get('entra_provisioning.queue_suspension')
    );
  }

  /**
   * Each step's state, the counts and the way into the wizard.
   *
   * @return array<string, mixed>
   */
  public function overview(): array {
    $settings = $this->clients->settings();
    $missing = $this->clients->missing();
    $secret = $this->clients->resolveSecret();
    $test = $this->provisioner->lastTest();
    $yes = $this->t('On');
    $no = $this->t('Off');

    if ($test === NULL) {
      $testState = $this->t('Not tested yet');
    }
    elseif (!empty($test['ok'])) {
      $testState = $this->t('Tested OK on @date (read %upn)', ['@date' => gmdate('Y-m-d H:i', (int) $test['time']) . ' UTC', '%upn' => (string) $test['upn']]);
    }
    else {
      $testState = $this->t('Test failed: @summary', ['@summary' => $this->formatter->summary((array) ($test['error'] ?? []))]);
    }

    $build['steps'] = [
      '#type' => 'table',
      '#caption' => $this->t('Configuration'),
      '#header' => [$this->t('Step'), $this->t('State')],
      '#rows' => [
        [
          Link::createFromRoute($this->t('1. Connection'), 'entra_provisioning.connection'),
          [
            'data' => [
              '#theme' => 'item_list',
              '#items' => [
                $missing === [] ? ['#markup' => $this->t('Complete')] : $this->missingFields($missing),
                ['#markup' => $testState],
                ['#markup' => $settings->usesCertificate()
                  ? $this->t('Credential: certificate; private key from: @source', ['@source' => $secret->describe()])
                  : $this->t('Credential: client secret, from: @source', ['@source' => $secret->describe()])],
              ],
            ],
          ],
        ],
        [
          Link::createFromRoute($this->t('2. Direction'), 'entra_provisioning.direction'),
          $this->t('Drupal → Entra ID: @out. Entra ID → Drupal: @in. @import', [
            '@out' => $settings->drupalToEntra() ? $yes : $no,
            '@in' => $settings->entraToDrupal() ? $yes : $no,
            '@import' => $this->importState(),
          ]),
        ],
        [
          Link::createFromRoute($this->t('3. Provisioning'), 'entra_provisioning.provisioning'),
          $this->t('Manual creation: @manual. Automatic creation: @auto. Update: @update. Block/unblock: @status. On cancel: @cancel. On delete: @delete. Mapped extra properties: @count.', [
            '@manual' => $settings->manualCreate() ? $yes : $no,
            '@auto' => $settings->autoCreate() ? $yes : $no,
            '@update' => $settings->updateOnChange() ? $yes : $no,
            '@status' => $settings->syncStatus() ? $yes : $no,
            '@cancel' => $settings->cancelPolicy(),
            '@delete' => $settings->deletePolicy(),
            '@count' => count($settings->mappedProperties()),
          ]),
        ],
      ],
    ];

    $suspended = $this->suspension->current();
    if ($suspended !== NULL) {
      $build['suspended'] = [
        '#type' => 'container',
        '#attributes' => ['class' => ['messages', 'messages--error']],
        'text' => [
          '#markup' => $this->t('Provisioning is suspended since @since UTC, because: @cause Fix: @fix A successful "Save and Test Configuration" on step 1 resumes it at once; the queued work is kept.', [
            '@since' => gmdate('Y-m-d H:i', $suspended['since']),
            '@cause' => $suspended['summary'],
            '@fix' => $suspended['fix'] ?? $this->t('see the cause.'),
          ]),
        ],
        'link' => Link::createFromRoute($this->t('Step 1: Connection'), 'entra_provisioning.connection')->toRenderable(),
        '#weight' => -10,
      ];
    }
    try {
      $counts = $this->links->countByResult();
    }
    catch (\Throwable $e) {
      $counts = ['ok' => 0, 'pending' => 0, 'failed' => 0, 'review' => 0];
    }
    try {
      $pending = array_sum($this->matcher->countPending());
      $held = array_sum($this->removals->countHeld());
    }
    catch (\Throwable $e) {
      $pending = 0;
      $held = 0;
    }
    try {
      $backlog = (string) $this->queue->count();
    }
    catch (\Throwable $e) {
      $backlog = (string) $this->t('unknown');
    }
    $build['counts'] = [
      '#type' => 'table',
      '#caption' => $this->t('Accounts'),
      '#header' => [$this->t('Linked'), $this->t('Pending'), $this->t('Failed'), $this->t('Queue items waiting'), $this->t('Pending matches'), $this->t('Held removals')],
      '#rows' => [[
        (string) $counts['ok'],
        (string) $counts['pending'],
        (string) $counts['failed'],
        $backlog,
        ['data' => Link::createFromRoute((string) $pending, 'entra_provisioning.matches')->toRenderable()],
        ['data' => Link::createFromRoute((string) $held, 'entra_provisioning.matches')->toRenderable()],
      ]],
    ];
    $build['logs'] = [
      '#markup' => '<p>' . $this->t('Every outcome is logged with the type <em>user_provisioning</em> in Reports > Recent log messages.') . '</p>',
    ];
    $build['configure'] = [
      '#type' => 'link',
      '#title' => $this->t("Let's configure"),
      '#url' => Url::fromRoute('entra_provisioning.connection'),
      '#attributes' => ['class' => ['button', 'button--primary']],
    ];
    $build['#cache'] = ['max-age' => 0];

    return $build;
  }

  /**
   * The empty fields of step 1, by their labels, each linked to its field.
   *
   * @param list<string> $missing
   *   ClientFactory::missing().
   *
   * @return array<string, mixed>
   */
  private function missingFields(array $missing): array {
    $links = [];
    foreach (ConnectionFields::labels($missing) as $field) {
      $links[] = Link::createFromRoute($this->t($field['label']), $field['route'], [], $field['fragment'] !== NULL ? ['fragment' => $field['fragment']] : [])->toRenderable();
    }

    return [
      'label' => ['#markup' => $this->t('Missing:') . ' '],
      'fields' => ['#theme' => 'item_list', '#items' => $links, '#attributes' => ['class' => ['inline']]],
    ];
  }

  /**
   * One sentence on the state of the import.
   */
  private function importState(): string {
    if (!$this->clients->settings()->entraToDrupal()) {
      return '';
    }
    $last = $this->importer->lastRun();
    $delta = $this->importer->lastDeltaSync();
    $parts = [];
    $parts[] = $delta !== NULL
      ? (string) $this->t('Last complete import round: @date.', ['@date' => gmdate('Y-m-d H:i', $delta) . ' UTC'])
      : (string) $this->t('No complete import round yet.');
    if ($last !== NULL && is_array($last['error'] ?? NULL)) {
      $parts[] = (string) $this->t('The last import failed: @summary', ['@summary' => $this->formatter->summary($last['error'])]);
    }

    return implode(' ', $parts);
  }

  /**
   * The Test Configuration Result: attributes received, or the cause.
   *
   * @return array<string, mixed>
   */
  public function testResult(): array {
    $test = $this->provisioner->lastTest();
    $build = ['#cache' => ['max-age' => 0]];
    if ($test === NULL) {
      $build['none'] = ['#markup' => '<p>' . $this->t('No connection test has run yet.') . '</p>'];
    }
    elseif (!empty($test['ok'])) {
      $build['summary'] = [
        '#markup' => '<p>' . $this->t('The connection works. Tested on @date, request-id @request_id. Attributes of %upn received from Microsoft Graph:', [
          '@date' => gmdate('Y-m-d H:i', (int) $test['time']) . ' UTC',
          '@request_id' => (string) ($test['request_id'] ?? '-'),
          '%upn' => (string) $test['upn'],
        ]) . '</p>',
      ];
      $granted = is_array($test['granted_permissions'] ?? NULL) ? $test['granted_permissions'] : NULL;
      $missing = is_array($test['missing_permissions'] ?? NULL) ? $test['missing_permissions'] : [];
      $build['permissions'] = [
        '#markup' => '<p>' . ($granted === NULL
          ? $this->t('The token did not say which application permissions are granted.')
          : $this->t('Application permissions granted: @granted.', ['@granted' => $granted === [] ? (string) $this->t('none') : implode(', ', $granted)]))
          . ($missing !== [] ? ' <strong>' . $this->t('Missing for the chosen directions: @missing. Add it in Entra ID > App registrations > API permissions and grant admin consent.', ['@missing' => implode(', ', $missing)]) . '</strong>' : '')
          . '</p>',
      ];
      $build['attributes'] = [
        '#type' => 'table',
        '#header' => [$this->t('Attribute'), $this->t('Value')],
        '#rows' => $this->formatter->attributeRows(is_array($test['attributes'] ?? NULL) ? $test['attributes'] : []),
        '#empty' => $this->t('No attributes were returned.'),
      ];
    }
    else {
      $build['summary'] = [
        '#markup' => '<p>' . $this->t('The connection test of @date failed for %upn.', [
          '@date' => gmdate('Y-m-d H:i', (int) $test['time']) . ' UTC',
          '%upn' => (string) $test['upn'],
        ]) . '</p>',
      ];
      $build['error'] = [
        '#type' => 'table',
        '#header' => [$this->t('Detail'), $this->t('Value')],
        '#rows' => $this->formatter->errorRows(is_array($test['error'] ?? NULL) ? $test['error'] : []),
      ];
    }
    $build['back'] = [
      '#type' => 'link',
      '#title' => $this->t('Back to step 1: Connection'),
      '#url' => Url::fromRoute('entra_provisioning.connection'),
      '#attributes' => ['class' => ['button']],
    ];

    return $build;
  }

}
